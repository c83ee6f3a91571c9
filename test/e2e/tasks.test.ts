// End to end through the local runtime (s.yaml wiring, HTTP, timer, OSS trigger, emulator): each task type
// goes from `POST /v1/tasks` to PERSISTED with the emulator's exact bytes in the local bucket.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import { useTaskRuntime } from './task-runtime.ts';

const stack = useTaskRuntime('e2e-tasks-');
const { post, untilSettled } = stack;

function eventsOf(id: string): DomainEvent[] {
  const lines = readFileSync(join(stack.dataDir, 'events.jsonl'), 'utf8').trim().split('\n');
  const seen = new Set<string>();
  return lines
    .map((l) => JSON.parse(l) as DomainEvent)
    .filter((e) => e.subject === id && !seen.has(e.id) && seen.add(e.id));
}

const cases = [
  { name: 'text-to-image (n=2)', body: { type: 'text-to-image', input: { prompt: 'a red fox in snow' }, parameters: { n: 2, size: '512*512' } }, outputs: 2, contentType: 'image/png', ext: 'png' },
  { name: 'text-to-video', body: { type: 'text-to-video', input: { prompt: 'waves at dusk' }, parameters: { size: '832*480' } }, outputs: 1, contentType: 'video/mp4', ext: 'mp4' },
  { name: 'image-to-video', body: { type: 'image-to-video', input: { img_url: 'https://example.com/cat.png', prompt: 'the cat waves' }, parameters: { resolution: '480P' } }, outputs: 1, contentType: 'video/mp4', ext: 'mp4' },
];

describe('async media tasks end to end', () => {
  it.concurrent.each(cases)('takes $name from POST /v1/tasks to PERSISTED with the exact bytes, content type and events', async ({ body, outputs, contentType, ext }) => {
    const created = await post(body);
    expect(created.status).toBe(202);
    const view = await untilSettled(created.json.id);
    expect(view.status).toBe('PERSISTED');
    expect(view.outputs).toHaveLength(outputs);

    const row = (await stack.rt.deps.tasks.get(view.id))!;
    for (const out of view.outputs) {
      expect(out.contentType).toBe(contentType);
      expect(out.key).toMatch(new RegExp(`^media/\\d{4}/\\d{2}/\\d{2}/${view.id}/${out.index}\\.${ext}$`));
      const source = row.outputs.find((o) => o.index === out.index)?.sourceUrl;
      expect(source).toBeDefined();
      const expected = await stack.rt.emulator!.media.expected(source!);
      const stored = readFileSync(join(stack.dataDir, 'oss', out.key!));
      expect(createHash('sha256').update(stored).digest('hex')).toBe(expected.sha256);
      expect(out.sha256).toBe(expected.sha256);
      expect(out.bytes).toBe(stored.length);
      // The URL the app gets serves the same bytes.
      const fetched = await fetch(out.url!);
      expect(fetched.status).toBe(200);
      expect(fetched.headers.get('content-type')).toContain(contentType);
      expect(Buffer.from(await fetched.arrayBuffer()).equals(stored)).toBe(true);
    }
    expect(eventsOf(view.id).map((e) => e.type)).toEqual(['task.submitted', 'task.succeeded', 'task.persisted']);
  });

  it('submits a request uploaded under inbox/ and persists its result', async () => {
    const key = 'inbox/e2e/order-1.json';
    await stack.rt.deps.objects.put(key, Buffer.from(JSON.stringify({ type: 'text-to-image', input: { prompt: 'a lighthouse' }, parameters: { size: '512*512' } })), { contentType: 'application/json' });
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      // the key's second segment names the tenant that owns the task
      const { tasks } = await stack.rt.deps.tasks.listByStatus(undefined, 100, undefined, 'asc', 'e2e');
      id = tasks.find((t) => t.metadata?.inboxKey === key)?.id;
      if (!id) await sleep(100);
    }
    expect(id).toBeDefined();
    const view = await untilSettled(id!);
    expect(view.status).toBe('PERSISTED');
    expect(view.outputs[0]?.contentType).toBe('image/png');
    expect((await stack.rt.deps.tasks.get(id!))?.tenant).toBe('e2e');
  });

  it('refuses an upload under inbox/ that names no tenant, with its error object beside the others, and submits nothing', async () => {
    const key = 'inbox/order-2.json';
    await stack.rt.deps.objects.put(key, Buffer.from(JSON.stringify({ type: 'text-to-image', input: { prompt: 'a lighthouse' } })), { contentType: 'application/json' });
    let report: { key?: string; error?: { code?: string } } | undefined;
    for (let i = 0; i < 100 && !report; i++) {
      if (await stack.rt.deps.objects.head('inbox-errors/order-2.json.error.json')) {
        const chunks: Buffer[] = [];
        for await (const c of (await stack.rt.deps.objects.get('inbox-errors/order-2.json.error.json')).body) chunks.push(c as Buffer);
        report = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof report;
      } else await sleep(100);
    }
    expect(report).toMatchObject({ key, error: { code: 'invalid_inbox_key' } });
    expect((await stack.rt.deps.tasks.listByStatus(undefined, 100)).tasks.filter((t) => t.metadata?.inboxKey === key)).toEqual([]);
  });

  it('creates nothing for a bad request', async () => {
    const before = stack.rt.emulator!.requests.filter((r) => r.path.startsWith('/api/v1/services/')).length;
    const r = await post({ type: 'text-to-video', input: { prompt: 'x' }, parameters: { duration: 99 } });
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe('invalid_request');
    expect(stack.rt.emulator!.requests.filter((x) => x.path.startsWith('/api/v1/services/')).length).toBe(before);
  });
});
