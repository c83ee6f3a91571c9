// Checklist 22: file upload through the openai SDK (compatible mode) and native fine-tune jobs with
// fetch: PENDING → QUEUING (one job trains at a time) → RUNNING → SUCCEEDED, cancel, delete, list.
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { get, post } from './helpers.ts';

const MIN = 60_000;
let emu: Emulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, taskTimings: { 'fine-tune': { pendingMs: MIN, runningMs: 10 * MIN } } });
  client = new OpenAI({ baseURL: `${emu.url}/compatible-mode/v1`, apiKey: emu.apiKey, maxRetries: 0 });
});
afterAll(() => emu.close());

const JSONL = ['{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}', '{"messages":[{"role":"user","content":"bye"},{"role":"assistant","content":"ciao"}]}'].join('\n');
type Job = { job_id: string; status: string; finetuned_output: string; create_time: string; usage?: number; end_time?: string };

async function upload(content = JSONL): Promise<string> {
  const f = await client.files.create({ file: await toFile(Buffer.from(content), 'train.jsonl'), purpose: 'fine-tune' });
  return f.id;
}
async function createJob(fileId: string): Promise<Job> {
  const res = await post(emu, '/api/v1/fine-tunes', { model: 'qwen-turbo', training_file_ids: [fileId], hyper_parameters: { n_epochs: 2 } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { output: Job }).output;
}
const jobState = async (id: string) => ((await (await get(emu, `/api/v1/fine-tunes/${id}`)).json()) as { output: Job }).output;

describe('file upload (openai SDK)', () => {
  it('returns a file-ft- id with status processed, bytes and filename', async () => {
    const f = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'train.jsonl'), purpose: 'fine-tune' });
    expect(f.id).toMatch(/^file-ft-[0-9a-f]+$/);
    expect(f).toMatchObject({ object: 'file', bytes: Buffer.byteLength(JSONL), filename: 'train.jsonl', purpose: 'fine-tune', status: 'processed' });
    expect(Number.isInteger(f.created_at)).toBe(true);
    expect((await client.files.retrieve(f.id)).id).toBe(f.id);
  });
});

describe('fine-tune jobs (native)', () => {
  it('goes PENDING → RUNNING → SUCCEEDED, and a second job waits QUEUING for the training slot', async () => {
    const a = await createJob(await upload());
    const b = await createJob(await upload());
    expect(a.job_id).toMatch(/^ft-\d{12}-[0-9a-f]{4}$/);
    expect(a.finetuned_output).toMatch(/^qwen-turbo-ft-/);
    expect(a.create_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect([a.status, b.status]).toEqual(['PENDING', 'PENDING']);
    emu.clock.advance(MIN);
    expect([(await jobState(a.job_id)).status, (await jobState(b.job_id)).status]).toEqual(['RUNNING', 'QUEUING']);
    emu.clock.advance(10 * MIN);
    const done = await jobState(a.job_id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.usage).toBeGreaterThan(0);
    expect(done.end_time).toBeDefined();
    expect((await jobState(b.job_id)).status).toBe('RUNNING');
  });

  it('cancels an active job and deletes only finished ones', async () => {
    const job = await createJob(await upload());
    const early = await fetch(`${emu.url}/api/v1/fine-tunes/${job.job_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${emu.apiKey}` } });
    expect(early.status).toBe(400);
    expect(((await early.json()) as { code: string }).code).toBe('UnsupportedOperation');
    expect((await post(emu, `/api/v1/fine-tunes/${job.job_id}/cancel`, {})).status).toBe(200);
    expect((await jobState(job.job_id)).status).toBe('CANCELED');
    expect((await post(emu, `/api/v1/fine-tunes/${job.job_id}/cancel`, {})).status).toBe(400);
    const del = await fetch(`${emu.url}/api/v1/fine-tunes/${job.job_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${emu.apiKey}` } });
    expect(del.status).toBe(200);
    expect((await get(emu, `/api/v1/fine-tunes/${job.job_id}`)).status).toBe(404);
  });

  it('fails a job whose training file has a line that is not JSON', async () => {
    const job = await createJob(await upload('{"messages":[]}\nnot json'));
    emu.clock.advance(100 * MIN);
    expect(await jobState(job.job_id)).toMatchObject({ status: 'FAILED', message: expect.stringContaining('line 2') });
  });

  it('rejects an unknown training file and lists jobs with paging', async () => {
    const bad = await post(emu, '/api/v1/fine-tunes', { model: 'qwen-turbo', training_file_ids: ['file-ft-nope'] });
    expect(bad.status).toBe(400);
    const list = (await (await get(emu, '/api/v1/fine-tunes?page_no=1&page_size=2')).json()) as { output: { total: number; jobs: Job[]; page_size: number } };
    expect(list.output.page_size).toBe(2);
    expect(list.output.jobs).toHaveLength(2);
    expect(list.output.total).toBeGreaterThanOrEqual(3);
  });
});
