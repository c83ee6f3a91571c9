// `npm run start:cloud` as a developer runs it: the built bundles as FC runs them (custom-runtime servers on the
// Node of s.yaml's layer, behind one front port, fed timer and OSS events) against the stand-ins and the emulator.
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REHEARSAL_CREDENTIALS } from '../../dev/cloud/standins.ts';
import { fcNodeVersion } from '../../dev/runtime/fc-node.ts';
import { readSYaml } from '../../dev/runtime/s-yaml.ts';
import { OssObjectStore } from '../../shared/adapters/oss/oss-object-store.ts';
import { manifestKey, manifestSchema } from '../../shared/domain/manifest.ts';
import type { TaskView } from '../../shared/use-cases/tasks/task-view.ts';
import { freePort, startRuntimeProcess, type RuntimeProcess } from './runtime-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-start-cloud-'));
let proc: RuntimeProcess | undefined;
let base = '';
let emulator = '';
let bucket: OssObjectStore;
let ossOrigin = '';

beforeAll(async () => {
  const port = await freePort();
  const env = { DATA_DIR: dataDir, EMULATOR_PORT: String(await freePort()), EMULATOR_TIME_SCALE: '50', LOCAL_TIMER_INTERVAL_MS: '200', LOG_LEVEL: 'warn' };
  // the build runs first: allow for a slow CI machine
  proc = await startRuntimeProcess(env, port, 50_000, 'dev/cloud/start-cloud.ts');
  base = `http://127.0.0.1:${port}`;
  const out = proc.output();
  emulator = /DashScope emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  const oss = /OSS stand-in at (http:\/\/127\.0\.0\.1:\d+) \(bucket ([\w-]+)/.exec(out)!;
  // the app's side of the bucket, with the role credentials the functions were handed
  ossOrigin = oss[1]!;
  bucket = new OssObjectStore({ bucket: oss[2]!, region: 'cn-beijing', endpoint: oss[1]!, publicEndpoint: oss[1]!, credentials: async () => REHEARSAL_CREDENTIALS });
}, 60_000);

afterAll(async () => {
  await proc?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

/** `npm run ops` with the environment the banner gives for the rehearsal; never rejects. */
async function ops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const line = await until('the ops line of the banner', 5_000, async () => /^ops {4}(.*) npm run ops -- poll/m.exec(proc!.output())?.[1]);
  const env = Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const repo = join(import.meta.dirname, '..', '..');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/ops.ts', ...args], { cwd: repo, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readObject(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await bucket.get(key)).body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms:\n${proc?.output().slice(-3000)}`);
    await sleep(100);
  }
}

const settled = (id: string) =>
  until(`task ${id} to settle`, 30_000, async () => {
    const view = (await (await fetch(`${base}/v1/tasks/${id}`)).json()) as TaskView;
    return ['PERSISTED', 'FAILED', 'CANCELED', 'EXPIRED'].includes(view.status) ? view : undefined;
  });

describe('npm run start:cloud', () => {
  it('runs the four functions of s.yaml, each in its own process', async () => {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { ok: boolean; mode: string; functions: { name: string; pid: number; running: boolean }[] };
    expect(health).toMatchObject({ ok: true, mode: 'cloud-rehearsal' });
    expect(health.functions.map((f) => f.name)).toEqual(['chat-stream', 'submit-task', 'poll-task', 'persist-to-oss']);
    expect(new Set(health.functions.map((f) => f.pid)).size).toBe(4);
    expect(health.functions.every((f) => f.running && f.pid !== proc!.child.pid)).toBe(true);
  });

  it('runs every bundle on the Node version of s.yaml\'s layer, as FC will, not on the Node running the tests', async () => {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { functions: { name: string; pid: number }[] };
    const wanted = `v${fcNodeVersion(readSYaml(join(import.meta.dirname, '..', '..', 's.yaml'), {}))}`;
    expect(wanted).toBe('v22.14.0');
    expect(proc!.output()).toContain(`functions run on Node ${wanted.slice(1)}`);
    for (const f of health.functions) {
      // the binary each function process runs, asked for its version
      const exe = readlinkSync(`/proc/${f.pid}/exe`);
      expect([f.name, execFileSync(exe, ['--version']).toString().trim()]).toEqual([f.name, wanted]);
    }
  });

  it('streams a chat completion through the front port, chunk by chunk, ending in data: [DONE]', async () => {
    const res = await post('/v1/chat/completions', { model: 'qwen-plus', stream: true, messages: [{ role: 'user', content: 'Hello' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    let reads = 0;
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
      reads += 1;
      text += decoder.decode(chunk, { stream: true });
    }
    // the emulator writes its chunks apart in time: a buffering proxy would hand them over in one piece
    expect(reads).toBeGreaterThan(2);
    expect(text).toContain('"delta"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  const TASKS = [
    { name: 'text-to-image (n=2)', body: { type: 'text-to-image', input: { prompt: 'a red fox in snow' }, parameters: { n: 2, size: '512*512' } }, outputs: 2 },
    { name: 'text-to-video', body: { type: 'text-to-video', input: { prompt: 'waves at dusk' }, parameters: { size: '832*480' } }, outputs: 1 },
    { name: 'image-to-video', body: { type: 'image-to-video', input: { img_url: 'https://example.com/cat.png', prompt: 'the cat waves' }, parameters: { resolution: '480P' } }, outputs: 1 },
  ];
  for (const t of TASKS) {
    it(`takes a ${t.name} task to PERSISTED with the emulator bytes in the OSS stand-in, served by the signed URL`, async () => {
      const created = await post('/v1/tasks', t.body);
      expect(created.status).toBe(202);
      const view = await settled(((await created.json()) as TaskView).id);
      expect(view.status, proc!.output().slice(-3000)).toBe('PERSISTED');
      expect(view.outputs).toHaveLength(t.outputs);
      const manifest = manifestSchema.parse(JSON.parse((await readObject(manifestKey(view.id))).toString('utf8')));
      for (const out of view.outputs) {
        expect(new URL(out.url!).origin).toBe(ossOrigin);
        const fetched = await fetch(out.url!);
        expect(fetched.status).toBe(200);
        const bytes = Buffer.from(await fetched.arrayBuffer());
        expect(sha256(bytes)).toBe(out.sha256);
        expect(bytes.length).toBe(out.bytes);
        const entry = manifest.outputs.find((o) => o.index === out.index);
        const source = entry && 'url' in entry ? entry.url : '';
        const expected = (await (await fetch(`${emulator}/_emulator/expected?url=${encodeURIComponent(source)}`)).json()) as { sha256: string };
        expect(out.sha256).toBe(expected.sha256);
      }
    });
  }

  it('takes a text-to-speech task in two parts to PERSISTED as one WAV joined in the OSS stand-in', async () => {
    const created = await post('/v1/tasks', { type: 'text-to-speech', input: { text: '山高水长，风清月明。'.repeat(40), voice: 'kai' } });
    expect(created.status).toBe(202);
    const view = await settled(((await created.json()) as TaskView).id);
    expect(view.status, proc!.output().slice(-3000)).toBe('PERSISTED');
    const manifest = manifestSchema.parse(JSON.parse((await readObject(manifestKey(view.id))).toString('utf8')));
    const entry = manifest.outputs[0]!;
    const parts = 'parts' in entry ? (entry.parts ?? []) : [];
    expect(parts).toHaveLength(2);
    const bytes = Buffer.from(await (await fetch(view.outputs[0]!.url!)).arrayBuffer());
    expect(sha256(bytes)).toBe(view.outputs[0]!.sha256);
    let expectedData = 0;
    for (const p of parts) expectedData += ((await (await fetch(`${emulator}/_emulator/expected?url=${encodeURIComponent(p.url)}`)).json()) as { bytes: number }).bytes - 44;
    expect(bytes.length).toBe(44 + expectedData);
    expect(bytes.toString('latin1', 0, 4) + bytes.toString('latin1', 8, 12)).toBe('RIFFWAVE');
  });

  it('keeps a conversation: the second turn on a conversation_id sends the first turn upstream again', async () => {
    type Answer = { usage: { prompt_tokens: number; completion_tokens: number } };
    const ask = async (conversation: string) => {
      const res = await post('/v1/chat/completions', { model: 'qwen-plus', conversation_id: conversation, messages: [{ role: 'user', content: 'Tell me about foxes' }] });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-conversation-id')).toBe(conversation);
      return ((await res.json()) as Answer).usage;
    };
    const first = await ask('conv-cloud-1');
    const second = await ask('conv-cloud-1');
    const fresh = await ask('conv-cloud-2');
    // the history lives in the Table Store stand-in between the two requests: both messages of turn one come back
    expect(fresh.prompt_tokens).toBe(first.prompt_tokens);
    expect(second.prompt_tokens).toBeGreaterThanOrEqual(first.prompt_tokens + first.completion_tokens + fresh.prompt_tokens);
  });

  it('submits a request uploaded under inbox/ through the OSS trigger of submit-task (POST /invoke)', async () => {
    // the rehearsal serves keyless calls as the tenant 'anonymous': its upload is the one that tenant lists
    const key = 'inbox/anonymous/order-1.json';
    await bucket.put(key, Buffer.from(JSON.stringify({ type: 'text-to-image', input: { prompt: 'a lighthouse' }, parameters: { size: '512*512' } })), { contentType: 'application/json' });
    const id = await until('the inbox task', 15_000, async () => {
      const { data } = (await (await fetch(`${base}/v1/tasks?limit=100`)).json()) as { data: (TaskView & { metadata?: Record<string, string> })[] };
      return data.find((t) => t.metadata?.inboxKey === key)?.id;
    });
    expect((await settled(id)).status).toBe('PERSISTED');
  });

  it("ops urls: the banner's environment points ops at the rehearsal, whose http triggers are the front port", async () => {
    const r = await ops('urls');
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('chat-stream   dashscope-fc-chat-stream (trigger http)');
    expect(r.stdout).toContain('submit-task   dashscope-fc-submit-task (trigger http)');
    expect(r.stdout.match(new RegExp(`internet  ${base}\\n`, 'g'))).toHaveLength(2);
  });

  it('ops poll: invokes poll-task in its own process through the FC API stand-in and prints its summary', async () => {
    const r = await ops('poll');
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ trigger: 'every-minute' });
  });

  it('ops task, ops redrive and ops events: a persisted task as stored, persist-to-oss finding its manifest done, its events on the bus', async () => {
    const created = await post('/v1/tasks', { type: 'text-to-image', input: { prompt: 'a kite' }, parameters: { size: '512*512' } });
    const { id } = (await created.json()) as TaskView;
    expect((await settled(id)).status).toBe('PERSISTED');
    const shown = await ops('task', id);
    expect(shown, shown.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, status: 'PERSISTED' });
    const again = await ops('redrive', manifestKey(id));
    expect(again, again.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(again.stdout)).toMatchObject({ handled: [{ key: manifestKey(id), taskId: id, status: 'PERSISTED' }] });
    const events = await ops('events', '--since', '1h', '--limit', '100');
    expect(events, events.stderr).toMatchObject({ code: 0, stderr: '' });
    const ours = events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; subject: string }).filter((e) => e.subject === id);
    expect(ours.map((e) => e.id)).toEqual([`${id}.task.submitted`, `${id}.task.succeeded`, `${id}.task.persisted`]);
  });

  it('stops every process it started on SIGTERM and exits 0', async () => {
    const ports = [...proc!.output().matchAll(/server\.mjs on port (\d+)/g)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(4);
    const exited = new Promise<number | null>((r) => proc!.child.once('exit', (code) => r(code)));
    proc!.child.kill('SIGTERM');
    expect(await exited, proc!.output().slice(-3000)).toBe(0);
    expect(proc!.output()).toContain('cloud rehearsal stopped');
    for (const port of [...ports, Number(new URL(base).port)]) {
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }
  });
});
