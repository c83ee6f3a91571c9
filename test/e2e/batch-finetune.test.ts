// Batch uploads and fine-tuning end to end on the local runtime and the emulator: a JSONL batch delivered
// twice creating each task once, fine-tune data reported line by line, a job followed to its model id, and
// every kind of bad input refused with a clear error and nothing created.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ossEvent } from '../../dev/runtime/oss-triggers.ts';
import { startRuntime, type Runtime } from '../../dev/runtime/runtime.ts';
import type { TrainingReport } from '../../shared/use-cases/finetune/validate-training-data.ts';
import type { BatchSummary } from '../../shared/use-cases/tasks/inbox-batch.ts';
import type { TaskView } from '../../shared/use-cases/tasks/task-view.ts';

// obviously fake client keys: CLIENT_API_KEYS makes them the tenants acme and globex (role app)
const ACME = 'test-client-key-acme-aaaaaaaaaaaa';
const GLOBEX = 'test-client-key-globex-bbbbbbbbbb';

type Answer = TaskView & { error?: { code: string; message: string; param?: string | null } };

let rt: Runtime;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'e2e-batch-ft-'));
  rt = await startRuntime({
    env: {
      DATA_DIR: dataDir, PORT: '0', LOCAL_TIMER_INTERVAL_MS: '100', EMULATOR_PORT: '0', EMULATOR_TIME_SCALE: '50', LOG_LEVEL: 'silent',
      CLIENT_API_KEYS: `acme=${ACME},globex=${GLOBEX}`,
    },
  });
}, 20_000);

afterAll(async () => {
  await rt?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${rt.url}${path}`, { method, headers: { ...auth(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Answer };
}

const put = (key: string, body: string | Buffer) => rt.deps.objects.put(key, Buffer.from(body), { contentType: 'application/x-ndjson' });

async function readObject<T>(key: string): Promise<{ raw: string; json: T }> {
  const { body } = await rt.deps.objects.get(key);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return { raw, json: JSON.parse(raw) as T };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** What the emulator holds, asked as any DashScope client would. */
async function emulatorGet<T>(path: string): Promise<T> {
  const res = await fetch(`${rt.emulator!.url}${path}`, { headers: { authorization: `Bearer ${rt.emulator!.apiKey}` } });
  return (await res.json()) as T;
}
const jobCount = async () => (await emulatorGet<{ output: { total: number } }>('/api/v1/fine-tunes?page_size=100')).output.total;
const fileCount = async () => (await emulatorGet<{ data: unknown[] }>('/compatible-mode/v1/files')).data.length;

const inboxRuns = () => rt.invocations.all().filter((r) => r.fn === 'submit-task' && r.trigger === 'inbox-upload' && r.endedAt !== undefined);
const taskCount = async () => (await rt.deps.tasks.listByStatus(undefined, 100)).tasks.length;

const SYSTEM = { role: 'system', content: 'You answer questions about the catalogue.' };
const example = (i: number) => JSON.stringify({ messages: [SYSTEM, { role: 'user', content: `What is item ${i}?` }, { role: 'assistant', content: `Item ${i} is a widget.` }] });
const trainingData = (n: number) => `${Array.from({ length: n }, (_, i) => example(i)).join('\n')}\n`;

describe('batch uploads', () => {
  it('submits each line of inbox/<tenant>/tasks/*.jsonl once across a redelivered event, with the same summary both times', async () => {
    const key = 'inbox/acme/tasks/batch-1.jsonl';
    const lines = [
      JSON.stringify({ type: 'text-to-image', input: { prompt: 'a red fox' }, parameters: { size: '512*512' } }),
      '{"type": "text-to-image", "input": ',
      '',
      JSON.stringify({ type: 'text-to-image', input: { prompt: 'a blue heron' }, parameters: { size: '512*512' } }),
      JSON.stringify({ type: 'text-to-image', model: 'no-such-model', input: { prompt: 'x' } }),
    ];
    const before = inboxRuns().length;
    const meta = await put(key, `${lines.join('\n')}\n`);
    const summaryKey = 'inbox-results/acme/tasks/batch-1.jsonl.summary.json';
    await until('the first delivery', 15_000, async () => (inboxRuns().length > before ? true : undefined));
    const first = await readObject<BatchSummary>(summaryKey);
    expect(first.json).toMatchObject({ key, lines: 4, submitted: 2, failed: 2 });
    expect(first.json.results.map((r) => ('taskId' in r ? [r.line, 'task'] : [r.line, r.error.code]))).toEqual([
      [1, 'task'],
      [2, 'invalid_json'],
      [4, 'task'],
      [5, 'model_not_found'],
    ]);

    // the same object's event again, as OSS may deliver it
    const fn = rt.functions.find((f) => f.name === 'submit-task')!;
    rt.invocations.deliver(fn, 'inbox-upload', 'oss', ossEvent({ eventName: 'ObjectCreated:PutObject', time: new Date(), meta }, 'local', 'local'));
    await until('the second delivery', 15_000, async () => (inboxRuns().length > before + 1 ? true : undefined));
    const second = await readObject<BatchSummary>(summaryKey);
    expect(second.raw).toBe(first.raw);

    const ids = first.json.results.flatMap((r) => ('taskId' in r ? [r.taskId] : []));
    const acmeTasks = (await rt.deps.tasks.listByStatus(undefined, 100, undefined, 'asc', 'acme')).tasks.filter((t) => t.metadata?.inboxKey === key);
    expect(acmeTasks.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(acmeTasks.map((t) => t.metadata?.inboxLine).sort()).toEqual(['1', '4']);
    // poll-task sends and follows them like any task
    for (const id of ids) {
      const view = await until(`task ${id} persisted`, 25_000, async () => {
        const v = (await call('GET', `/v1/tasks/${id}`, ACME)).json;
        return ['PERSISTED', 'FAILED'].includes(v.status) ? v : undefined;
      });
      expect(view.status).toBe('PERSISTED');
    }
    expect(rt.emulator!.requests.filter((r) => r.method === 'POST' && r.path.includes('text2image')).length).toBe(2);
  });

  it('refuses a 0-byte batch in its summary and creates nothing', async () => {
    const before = await taskCount();
    await put('inbox/acme/tasks/empty.jsonl', '');
    const summary = await until('the summary', 15_000, async () =>
      (await rt.deps.objects.head('inbox-results/acme/tasks/empty.jsonl.summary.json')) ? readObject<BatchSummary>('inbox-results/acme/tasks/empty.jsonl.summary.json') : undefined,
    );
    expect(summary.json).toMatchObject({ submitted: 0, failed: 0, results: [], error: { code: 'empty_file' } });
    expect(await taskCount()).toBe(before);
  });
});

describe('fine-tune data checks', () => {
  it('writes a line-by-line report beside an upload to inbox/<tenant>/finetune/', async () => {
    const lines = trainingData(50).trimEnd().split('\n');
    lines[4] = 'not json at all';
    lines[9] = JSON.stringify({ messages: [SYSTEM, { role: 'user', content: 'q' }] });
    lines[19] = lines[0]!;
    await put('inbox/acme/finetune/seeded.jsonl', `${lines.join('\n')}\n`);
    const reportKey = 'inbox-results/acme/finetune/seeded.jsonl.report.json';
    const report = await until('the report', 15_000, async () => ((await rt.deps.objects.head(reportKey)) ? readObject<TrainingReport>(reportKey) : undefined));
    expect(report.json.ok).toBe(false);
    expect(report.json.examples).toBe(50);
    expect(report.json.errors.map((e) => [e.line, e.code])).toEqual([
      [5, 'invalid_json'],
      [10, 'last_not_assistant'],
      [20, 'duplicate_example'],
    ]);
  });
});

describe('fine-tunes', () => {
  it('follows a job from POST /v1/fine-tunes to PERSISTED with its model id (GET /v1/fine-tunes/{id})', async () => {
    const file = 'inbox/acme/finetune/good.jsonl';
    await put(file, trainingData(60));
    const created = await call('POST', '/v1/fine-tunes', ACME, { training_file: file, model: 'qwen-plus', hyper_parameters: { n_epochs: 2, learning_rate: '1.6e-5' } });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ type: 'fine-tune', model: 'qwen-plus' });
    const id = created.json.id;
    const done = await until('the fine-tune', 25_000, async () => {
      const v = (await call('GET', `/v1/fine-tunes/${id}`, ACME)).json;
      return ['PERSISTED', 'FAILED', 'CANCELED', 'EXPIRED'].includes(v.status) ? v : undefined;
    });
    expect(done.status).toBe('PERSISTED');
    expect(done.fineTunedModel).toMatch(/^qwen-plus-ft-\d{12}-[0-9a-f]{4}$/);
    expect(done.outputs).toEqual([]);
    expect(done.cost).toEqual({ amount: 0, currency: 'CNY' });
    expect(done.usage?.training_tokens).toBeGreaterThan(0);
    const row = (await rt.deps.tasks.get(id))!;
    const { output: job } = await emulatorGet<{ output: { model: string; job_name: string; status: string; finetuned_output: string; hyper_parameters: unknown; training_file_ids: string[] } }>(`/api/v1/fine-tunes/${row.dashscopeTaskId}`);
    expect(job).toMatchObject({ model: 'qwen-plus', job_name: id, status: 'SUCCEEDED', finetuned_output: done.fineTunedModel, hyper_parameters: { n_epochs: 2, learning_rate: '1.6e-5' } });
    const uploaded = await emulatorGet<{ bytes: number; purpose: string }>(`/compatible-mode/v1/files/${job.training_file_ids[0]}`);
    expect(uploaded).toMatchObject({ bytes: Buffer.byteLength(trainingData(60)), purpose: 'fine-tune' });
    // no manifest: nothing to copy
    expect(await rt.deps.objects.head(`results/manifests/${id}.json`)).toBeUndefined();
  });

  it('refuses bad requests with a clear error and creates nothing', async () => {
    await put('inbox/globex/finetune/theirs.jsonl', trainingData(60));
    await put('inbox/acme/finetune/empty.jsonl', '');
    await put('inbox/acme/finetune/defects.jsonl', `${trainingData(49)}{"messages": [}\n`);
    // a 1 GB upload, as the store reports it: a sparse file, never written
    const big = join(dataDir, 'oss', 'inbox/acme/finetune/huge.jsonl');
    mkdirSync(dirname(big), { recursive: true });
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 1024 ** 3);
    closeSync(fd);
    const tasksBefore = await taskCount();
    const jobsBefore = await jobCount();
    const filesBefore = await fileCount();

    const cases: [unknown, number, string, string | undefined][] = [
      [{ model: 'qwen-plus' }, 400, 'invalid_request', 'training_file'],
      [{ training_file: 'inbox/acme/finetune/good.jsonl', model: 'qwen-nonexistent' }, 400, 'model_not_found', 'model'],
      [{ training_file: 'inbox/acme/finetune/good.jsonl', model: 'wanx2.1-t2i-turbo' }, 400, 'invalid_model', 'model'],
      [{ training_file: 'inbox/globex/finetune/theirs.jsonl', model: 'qwen-plus' }, 404, 'file_not_found', 'training_file'],
      [{ training_file: 'inbox/acme/finetune/nothing-here.jsonl', model: 'qwen-plus' }, 404, 'file_not_found', 'training_file'],
      // a key that climbs out of the tenant's inbox names no file of its own
      [{ training_file: 'inbox/acme/../globex/finetune/theirs.jsonl', model: 'qwen-plus' }, 404, 'file_not_found', 'training_file'],
      [{ training_file: 'inbox/acme/./finetune/good.jsonl', model: 'qwen-plus' }, 404, 'file_not_found', 'training_file'],
      [{ training_file: 'inbox/acme/finetune/empty.jsonl', model: 'qwen-plus' }, 400, 'empty_file', 'training_file'],
      [{ training_file: 'inbox/acme/finetune/huge.jsonl', model: 'qwen-plus' }, 413, 'file_too_large', 'training_file'],
      [{ training_file: 'inbox/acme/finetune/defects.jsonl', model: 'qwen-plus' }, 400, 'invalid_training_file', 'training_file'],
      [{ training_file: 'inbox/acme/finetune/good.jsonl', model: 'qwen-plus', hyper_parameters: { n_epochs: 0 } }, 400, 'invalid_request', 'hyper_parameters.n_epochs'],
    ];
    for (const [body, status, code, param] of cases) {
      const r = await call('POST', '/v1/fine-tunes', ACME, body);
      expect({ status: r.status, code: r.json.error?.code, param: r.json.error?.param }).toEqual({ status, code, param });
      expect(r.json.error?.message.length).toBeGreaterThan(10);
    }
    const defects = await call('POST', '/v1/fine-tunes', ACME, { training_file: 'inbox/acme/finetune/defects.jsonl', model: 'qwen-plus' });
    expect(defects.json.error?.message).toBe('training_file: 1 error: line 50: invalid_json: not valid JSON (each line must be one JSON object)');
    // the other tenant's file and a missing one read the same
    const theirs = await call('POST', '/v1/fine-tunes', ACME, { training_file: 'inbox/globex/finetune/theirs.jsonl', model: 'qwen-plus' });
    expect(theirs.json.error?.message).toBe("no training file 'inbox/globex/finetune/theirs.jsonl' in the bucket");

    expect(await taskCount()).toBe(tasksBefore);
    expect(await jobCount()).toBe(jobsBefore);
    expect(await fileCount()).toBe(filesBefore);
  });

  it("answers another tenant's job, and a media task, as an unknown id", async () => {
    await put('inbox/globex/finetune/job.jsonl', trainingData(50));
    const theirs = await call('POST', '/v1/fine-tunes', GLOBEX, { training_file: 'inbox/globex/finetune/job.jsonl', model: 'qwen-turbo' });
    expect(theirs.status).toBe(202);
    const asAcme = await call('GET', `/v1/fine-tunes/${theirs.json.id}`, ACME);
    const unknown = await call('GET', '/v1/fine-tunes/task_00000000000000000000000000000000', ACME);
    expect(asAcme.status).toBe(404);
    expect(asAcme.json.error?.code).toBe('task_not_found');
    expect(unknown.status).toBe(404);
    expect(asAcme.json.error?.message.replace(theirs.json.id, 'ID')).toBe(unknown.json.error?.message.replace('task_00000000000000000000000000000000', 'ID'));
    expect((await call('GET', `/v1/fine-tunes/${theirs.json.id}`, GLOBEX)).status).toBe(200);

    const media = await call('POST', '/v1/tasks', ACME, { type: 'text-to-image', input: { prompt: 'a lamp' }, parameters: { size: '512*512' } });
    expect(media.status).toBe(202);
    expect((await call('GET', `/v1/fine-tunes/${media.json.id}`, ACME)).status).toBe(404);
  });
});
