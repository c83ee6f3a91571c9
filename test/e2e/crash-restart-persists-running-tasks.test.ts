// A crash of `npm start` while video tasks run loses nothing: after SIGKILL to the whole process group and a
// start on the same DATA_DIR and ports, every task still reaches PERSISTED exactly once, with the bytes the
// emulator serves for its result URLs (the emulator's tasks and clock live under DATA_DIR/emulator).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import type { TaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { freePort, startRuntimeProcess, type RuntimeProcess } from './runtime-process.ts';

type View = TaskView & { error?: { code: string; message: string } };
type Manifest = { outputs: { index: number; url?: string }[] };

const TERMINAL = ['PERSISTED', 'FAILED', 'CANCELED', 'EXPIRED'];
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-crash-restart-'));
const started: RuntimeProcess[] = [];
afterAll(async () => {
  for (const p of started) await p.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

const bodies = [
  { type: 'text-to-video', input: { prompt: 'waves at dusk' }, parameters: { size: '832*480' } },
  { type: 'text-to-video', input: { prompt: 'a train in the rain' }, parameters: { size: '832*480' } },
  { type: 'image-to-video', input: { img_url: 'https://example.com/cat.png', prompt: 'the cat waves' }, parameters: { resolution: '480P' } },
  { type: 'image-to-video', input: { img_url: 'https://example.com/dog.png', prompt: 'the dog jumps' }, parameters: { resolution: '480P' } },
  { type: 'text-to-image', input: { prompt: 'a red fox in snow' }, parameters: { n: 1, size: '512*512' } },
];

/** Every task's view; a request that fails (the runtime is down or just restarting) counts as not yet. */
async function views(base: string, ids: string[]): Promise<View[] | undefined> {
  try {
    return await Promise.all(ids.map(async (id) => (await (await fetch(`${base}/v1/tasks/${id}`)).json()) as View));
  } catch {
    return undefined;
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Distinct `task.persisted` events per task (a redelivered event keeps its id; a second persist would not). */
function persistedEvents(id: string): number {
  const lines = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const events = lines.map((l) => JSON.parse(l) as DomainEvent).filter((e) => e.subject === id && e.type === 'task.persisted');
  return new Set(events.map((e) => e.id)).size;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('npm start killed while tasks run', () => {
  it('brings every running task to PERSISTED exactly once after a SIGKILL and a restart on the same DATA_DIR', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const emulatorPort = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const emulator = `http://127.0.0.1:${emulatorPort}`;
    // Videos take 22 s of emulator time: about 4 s here, so the kill lands while they run.
    const env = { DATA_DIR: dataDir, EMULATOR_PORT: String(emulatorPort), EMULATOR_TIME_SCALE: '5', LOCAL_TIMER_INTERVAL_MS: '200', LOG_LEVEL: 'warn' };

    const first = await startRuntimeProcess(env, port, 60_000);
    started.push(first);
    const ids: string[] = [];
    for (const body of bodies) {
      const res = await fetch(`${base}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, first.output()).toBe(202);
      ids.push(((await res.json()) as View).id);
    }
    await until('a video task RUNNING', 60_000, async () => (await views(base, ids))?.some((v) => v.type !== 'text-to-image' && v.status === 'RUNNING') ?? false);
    const atKill = (await views(base, ids))!;
    await first.kill();
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(atKill.filter((v) => v.status !== 'PERSISTED').length).toBeGreaterThan(0);

    const second = await startRuntimeProcess(env, port, 60_000);
    started.push(second);
    let last: View[] = [];
    // A poll cut off by the kill holds its task's lease (60 s) before the restarted runtime may take it over.
    await until('every task settled', 180_000, async () => {
      last = (await views(base, ids)) ?? last;
      return last.length === ids.length && last.every((v) => TERMINAL.includes(v.status));
    });
    expect(
      last.map((v) => ({ id: v.id, status: v.status, error: v.error })),
      second.output(),
    ).toEqual(ids.map((id) => ({ id, status: 'PERSISTED', error: undefined })));

    for (const view of last) {
      expect(persistedEvents(view.id)).toBe(1);
      const manifest = JSON.parse(readFileSync(join(dataDir, 'oss', 'results', 'manifests', `${view.id}.json`), 'utf8')) as Manifest;
      expect(view.outputs.length).toBe(manifest.outputs.length);
      for (const out of view.outputs) {
        const file = join(dataDir, 'oss', out.key!);
        expect(existsSync(file)).toBe(true);
        const stored = readFileSync(file);
        expect(sha256(stored)).toBe(out.sha256);
        // The same bytes the emulator's result URL stands for, through its restart.
        const url = manifest.outputs.find((o) => o.index === out.index)?.url;
        const expected = (await (await fetch(`${emulator}/_emulator/expected?url=${encodeURIComponent(url!)}`)).json()) as { sha256: string };
        expect(out.sha256).toBe(expected.sha256);
      }
    }
  });
});
