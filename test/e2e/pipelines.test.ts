// Pipelines end to end through the local runtime (s.yaml's EventBridge triggers and timer, the emulator): from
// POST to pipeline.completed with three real files fetched from their URLs, a failed step failing the pipeline,
// redelivered events repeating nothing, bad input creating nothing, and tenants kept apart.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../dev/runtime/runtime.ts';
import { initialSteps } from '../../shared/domain/pipeline.ts';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import type { PipelineView } from '../../shared/use-cases/pipelines/pipeline-view.ts';

const ALPHA = 'alpha-pipeline-key-0123456789';
const BETA = 'beta-pipeline-key-0123456789';

let rt: Runtime;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'e2e-pipelines-'));
  rt = await startRuntime({
    env: { DATA_DIR: dataDir, PORT: '0', LOCAL_TIMER_INTERVAL_MS: '100', EMULATOR_PORT: '0', EMULATOR_TIME_SCALE: '50', LOG_LEVEL: 'silent', CLIENT_API_KEYS: `alpha=${ALPHA},beta=${BETA}` },
  });
}, 30_000);

afterAll(async () => {
  await rt?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

type Answer = PipelineView & { error: { step?: string; code: string; message: string } | null };

async function send(method: string, path: string, key: string, body?: string, type = 'application/json'): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${rt.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, json: (await res.json()) as Answer };
}

const create = (body: unknown, key = ALPHA) => send('POST', '/v1/pipelines', key, JSON.stringify(body));

async function untilFinished(id: string, key = ALPHA, timeoutMs = 60_000): Promise<Answer> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await send('GET', `/v1/pipelines/${id}`, key);
    if (json.status === 'COMPLETED' || json.status === 'FAILED' || Date.now() > end) return json;
    await sleep(100);
  }
}

/** Every event about `subject` published so far, one per id (consumers drop duplicates on source and id). */
function eventsOf(subject: string): DomainEvent[] {
  const seen = new Set<string>();
  return readFileSync(join(dataDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DomainEvent)
    .filter((e) => e.subject === subject && !seen.has(e.id) && seen.add(e.id));
}

const articleCalls = () => rt.emulator!.requests.filter((r) => r.path === '/compatible-mode/v1/chat/completions').length;
const tasksOf = async (pipelineId: string) => (await rt.deps.tasks.listByStatus(undefined, 100, undefined, 'asc', 'alpha')).tasks.filter((t) => t.metadata?.pipelineId === pipelineId);

/** The sample rate, channels and sample count of a PCM WAV, or a thrown error when it does not decode. */
function decodeWav(b: Buffer): { sampleRate: number; channels: number; samples: number } {
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not RIFF/WAVE');
  let at = 12;
  let fmt: { channels: number; sampleRate: number; bits: number } | undefined;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') fmt = { channels: b.readUInt16LE(at + 10), sampleRate: b.readUInt32LE(at + 12), bits: b.readUInt16LE(at + 22) };
    if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      if (at + 8 + size > b.length) throw new Error('data chunk runs past the end');
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples: size / (fmt.channels * (fmt.bits / 8)) };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

describe('pipelines end to end', () => {
  it('takes a topic from POST to pipeline.completed with a Markdown article, a PNG and a WAV that decodes, from the returned URLs', async () => {
    const created = await create({ topic: '  The   history of tea  ', language: 'en', style: 'playful' });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ topic: 'The history of tea', status: 'QUEUED', outputs: [], error: null });
    expect(created.json.steps.map((s) => [s.name, s.status])).toEqual([
      ['article', 'PENDING'],
      ['illustration-prompt', 'PENDING'],
      ['illustration', 'PENDING'],
      ['narration', 'PENDING'],
    ]);
    const id = created.json.id;
    const done = await untilFinished(id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('COMPLETED');
    expect(done.steps.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(done.steps.find((s) => s.name === 'illustration')?.taskId).toMatch(/^task_/);
    expect(done.outputs.map((o) => [o.name, o.key, o.contentType.split(';')[0]])).toEqual([
      ['article', `pipelines/${id}/article.md`, 'text/markdown'],
      ['illustration', `pipelines/${id}/illustration.png`, 'image/png'],
      ['narration', `pipelines/${id}/narration.wav`, 'audio/wav'],
    ]);
    const files: Record<string, Buffer> = {};
    for (const o of done.outputs) {
      const res = await fetch(o.url);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.length).toBe(o.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(o.sha256);
      files[o.name] = bytes;
    }
    const md = files.article!.toString('utf8');
    expect(md).toMatch(/^# \S.*\n\n\S/);
    expect(md.match(/^## /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(md).toContain('\n## Conclusion\n\n');
    expect(files.illustration!.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    const wav = decodeWav(files.narration!);
    expect(wav.sampleRate).toBeGreaterThan(0);
    expect(wav.samples).toBeGreaterThan(0);

    const types = eventsOf(id).map((e) => e.type);
    expect(types[0]).toBe('pipeline.queued');
    expect(types.filter((t) => t === 'pipeline.completed')).toHaveLength(1);
    const completed = eventsOf(id).find((e) => e.type === 'pipeline.completed')!;
    expect(completed.data).toMatchObject({ pipelineId: id, tenant: 'alpha', status: 'COMPLETED' });
    // the article was billed to the pipeline's tenant, once
    const ledger = await rt.deps.guards.listLedger({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), tenant: 'alpha', limit: 500 });
    expect(ledger.entries.filter((e) => e.id.startsWith(`pipeline:${id}:article`))).toHaveLength(1);
  }, 90_000);

  it('repeats no step, task or cost when its events are delivered again and the timer sweeps it', async () => {
    const callsBefore = articleCalls();
    const created = await create({ topic: 'Lighthouses of the Baltic' });
    const id = created.json.id;
    // the queued event a second time, at once: both deliveries race for the article
    const queued = eventsOf(id).find((e) => e.type === 'pipeline.queued')!;
    await rt.deps.events.publish([queued]);
    const done = await untilFinished(id);
    expect(done.status).toBe('COMPLETED');
    // after the end: every event about it again, and a sweep's due event
    const tasks = await tasksOf(id);
    const again = tasks.flatMap((t) => eventsOf(t.id));
    await rt.deps.events.publish([queued, ...again, { ...queued, id: `${id}.pipeline.due.99`, type: 'pipeline.due' }]);
    await sleep(1_500);
    expect(articleCalls() - callsBefore).toBe(1);
    expect((await tasksOf(id)).map((t) => t.metadata?.pipelineStep).sort()).toEqual(['illustration', 'narration']);
    const ledger = await rt.deps.guards.listLedger({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), tenant: 'alpha', limit: 500 });
    expect(ledger.entries.filter((e) => e.id.startsWith(`pipeline:${id}:`))).toHaveLength(1);
    for (const t of tasks) expect(ledger.entries.filter((e) => e.id === `task:${t.id}`)).toHaveLength(1);
    const after = await send('GET', `/v1/pipelines/${id}`, ALPHA);
    expect(after.json).toEqual({ ...done, outputs: after.json.outputs });
    expect(eventsOf(id).filter((e) => e.type === 'pipeline.completed')).toHaveLength(1);
  }, 90_000);

  it('fails the pipeline with the step and the reason when the illustration task fails upstream', async () => {
    rt.emulator!.faults.add({ match: { path: '/api/v1/services/aigc/text2image' }, times: 1, fault: { kind: 'task-fail', code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' } });
    const created = await create({ topic: 'Volcanoes of Iceland', style: 'academic' });
    const done = await untilFinished(created.json.id);
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'illustration', code: 'DataInspectionFailed' });
    expect(done.error!.message).toContain('inappropriate');
    expect(done.steps.find((s) => s.name === 'illustration')).toMatchObject({ status: 'FAILED', error: { code: 'DataInspectionFailed' } });
    expect(done.steps.find((s) => s.name === 'article')?.status).toBe('COMPLETED');
    const failed = eventsOf(done.id).filter((e) => e.type === 'pipeline.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ error: { step: 'illustration', code: 'DataInspectionFailed' } });
  }, 90_000);

  it('fails the pipeline at the article step, with DashScope\'s reason, when DashScope refuses the article', async () => {
    rt.emulator!.faults.add({ match: { path: '/compatible-mode/v1/chat/completions' }, times: 1, fault: { kind: 'status', status: 400, code: 'data_inspection_failed', message: 'Input data may contain inappropriate content.' } });
    const created = await create({ topic: 'Something refused' });
    const done = await untilFinished(created.json.id);
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'article', code: 'data_inspection_failed' });
    expect(done.error!.message).toContain('inappropriate');
    expect(done.steps.map((s) => s.status)).toEqual(['FAILED', 'PENDING', 'PENDING', 'PENDING']);
    expect(await tasksOf(done.id)).toEqual([]);
  }, 60_000);

  it('answers bad input with a clear 400 and creates nothing', async () => {
    const queuedBefore = rt.deps.events.history().filter((e) => e.type === 'pipeline.queued').length;
    const callsBefore = rt.emulator!.requests.length;
    const cases: [string, string, string][] = [
      [JSON.stringify({ topic: '' }), 'invalid_topic', 'topic'],
      [JSON.stringify({ topic: ' \n\t ' }), 'invalid_topic', 'topic'],
      [JSON.stringify({ topic: 'x'.repeat(201) }), 'invalid_topic', 'topic'],
      [JSON.stringify({}), 'invalid_topic', 'topic'],
      [JSON.stringify({ topic: 42 }), 'invalid_topic', 'topic'],
      [JSON.stringify({ topic: 'tea', language: 'klingon' }), 'invalid_language', 'language'],
      [JSON.stringify({ topic: 'tea', style: 'gothic' }), 'invalid_style', 'style'],
      [JSON.stringify({ topic: 'tea', colour: 'red' }), 'invalid_request', 'colour'],
      [JSON.stringify(['tea']), 'invalid_request', ''],
      ['{"topic": "tea"', 'invalid_json', ''],
      ['', 'invalid_json', ''],
    ];
    for (const [body, code, param] of cases) {
      const r = await send('POST', '/v1/pipelines', ALPHA, body);
      expect(r.status, body).toBe(400);
      expect(r.json.error, body).toMatchObject({ code, type: 'invalid_request_error', ...(param ? { param } : {}) });
      expect((r.json.error as { message: string }).message.length).toBeLessThan(200);
    }
    expect(rt.deps.events.history().filter((e) => e.type === 'pipeline.queued').length).toBe(queuedBefore);
    expect(rt.emulator!.requests.length).toBe(callsBefore);
    // the longest topic is accepted (and the only pipeline made here)
    expect((await create({ topic: 'y'.repeat(200) })).status).toBe(202);
    expect(rt.deps.events.history().filter((e) => e.type === 'pipeline.queued').length).toBe(queuedBefore + 1);
  });

  it('is started by the timer when its queued event was lost', async () => {
    const now = Date.now();
    const id = 'pipe_lostevent0000000000000000000001';
    // written as POST writes it, but no event published: only the sweep can find it
    await rt.deps.pipelines.put(
      { id, tenant: 'alpha', topic: 'Clouds', language: 'de', style: 'informative', status: 'QUEUED', steps: initialSteps(), outputs: [], version: 1, dueAt: new Date(now - 1000).toISOString(), createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() },
      0,
    );
    const done = await untilFinished(id);
    expect(done.status).toBe('COMPLETED');
    expect(eventsOf(id).map((e) => e.type)).toContain('pipeline.due');
    expect(eventsOf(id).map((e) => e.type)).not.toContain('pipeline.queued');
    const narration = (await tasksOf(id)).find((t) => t.metadata?.pipelineStep === 'narration');
    expect(narration?.input).toMatchObject({ language_type: 'German' });
  }, 90_000);

  it('spends an article attempt whose invocation ended mid-call (its lease ran out), and fails the pipeline once all are spent', async () => {
    const now = Date.now();
    const id = 'pipe_leaseranout00000000000000000001';
    const before = articleCalls();
    // the article step as three invocations left it, each ended by its function's time limit before the answer
    const steps = initialSteps().map((s) => (s.name === 'article' ? { ...s, status: 'RUNNING' as const, attempts: 3, leaseOwner: 'pipeline:gone', leaseUntil: new Date(now - 1000).toISOString(), startedAt: new Date(now - 600_000).toISOString() } : s));
    await rt.deps.pipelines.put(
      { id, tenant: 'alpha', topic: 'Tides', language: 'en', style: 'informative', status: 'RUNNING', steps, outputs: [], version: 1, dueAt: new Date(now - 1000).toISOString(), createdAt: new Date(now - 600_000).toISOString(), updatedAt: new Date(now - 1000).toISOString() },
      0,
    );
    const done = await untilFinished(id);
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'article', code: 'article_timed_out' });
    expect(articleCalls()).toBe(before);
    expect(eventsOf(id).map((e) => e.type)).toContain('pipeline.failed');
  }, 60_000);

  it("is not moved by another tenant's task whose metadata names it", async () => {
    const created = await create({ topic: 'Glaciers' });
    const id = created.json.id;
    expect((await untilFinished(id)).status).toBe('COMPLETED');
    // every line published about the pipeline (a re-announcement repeats its id, so lines, not ids, are counted)
    const lines = () => readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n').filter((l) => (JSON.parse(l) as DomainEvent).subject === id).length;
    const before = lines();
    const res = await fetch(`${rt.url}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BETA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'text-to-image', input: { prompt: 'a fox' }, metadata: { pipelineId: id, pipelineStep: 'illustration' } }),
    });
    const task = (await res.json()) as { id: string };
    for (let i = 0; i < 600; i++) {
      const t = (await (await fetch(`${rt.url}/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${BETA}` } })).json()) as { status: string };
      if (t.status === 'PERSISTED') break;
      await sleep(100);
    }
    await sleep(300);
    // beta's task.persisted named alpha's pipeline: nothing about the pipeline was published again
    expect(lines()).toBe(before);
  }, 90_000);

  it("answers another tenant's pipeline id exactly like an unknown one (404)", async () => {
    const created = await create({ topic: 'Private topic' });
    expect((await send('GET', `/v1/pipelines/${created.json.id}`, ALPHA)).status).toBe(200);
    const other = await send('GET', `/v1/pipelines/${created.json.id}`, BETA);
    const unknown = await send('GET', '/v1/pipelines/pipe_00000000000000000000000000000000', BETA);
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    const strip = (j: Answer) => ({ ...(j.error as object), message: (j.error as { message: string }).message.replace(/'[^']*'/, "'…'"), request_id: undefined });
    expect(strip(other.json)).toEqual(strip(unknown.json));
    expect(other.json.error).toMatchObject({ code: 'pipeline_not_found' });
  });
});
