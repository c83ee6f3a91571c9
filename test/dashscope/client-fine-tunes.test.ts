// The client's fine-tune calls against scripted local servers: the training file as multipart/form-data (read
// back by the emulator's own parser), the job create never re-sent once it may have arrived, get and list.
import { afterEach, describe, expect, it } from 'vitest';
import { boundaryOf, parseMultipart } from '../../dev/emulator/multipart.ts';
import { DashScopeAmbiguousError } from '../../shared/dashscope/errors.ts';
import { clientHarness } from './client-harness.ts';
import { json } from './tiny-server.ts';

const RID = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const JOB = { job_id: 'ft-202612031200-ab12', job_name: 'task_1', status: 'PENDING', finetuned_output: 'qwen-plus-ft-202612031200-ab12', model: 'qwen-plus' };
const { setup, closeAll } = clientHarness();

afterEach(closeAll);

describe('fine-tune calls', () => {
  it('uploads the training file as multipart/form-data with purpose fine-tune, the bytes unchanged', async () => {
    const data = Buffer.from('{"messages":[{"role":"user","content":"héllo \\"q\\""},{"role":"assistant","content":"a"}]}\n');
    const { server, client } = await setup((_req, res) => json(res, 200, { id: 'file-ft-abc', object: 'file', bytes: data.length, status: 'processed' }, { 'x-request-id': RID }));
    expect(await client.uploadFile({ filename: 'task_1.jsonl', data })).toEqual({ fileId: 'file-ft-abc', requestId: RID });
    const seen = server.requests[0]!;
    expect([seen.method, seen.path]).toEqual(['POST', '/compatible-mode/v1/files']);
    expect(seen.headers.authorization).toBe('Bearer sk-test-key');
    const parts = parseMultipart(seen.body, boundaryOf(String(seen.headers['content-type']))!);
    expect(parts.map((p) => [p.name, p.filename])).toEqual([['purpose', undefined], ['file', 'task_1.jsonl']]);
    expect(parts[0]!.data.toString()).toBe('fine-tune');
    expect(parts[1]!.data.equals(data)).toBe(true);
  });

  it('creates a job with the JSON body as given and reads the job back', async () => {
    const { server, client } = await setup((req, res) => json(res, 200, { request_id: RID, output: req.method === 'POST' ? JOB : { ...JOB, status: 'SUCCEEDED', usage: 4096 } }, { 'x-request-id': RID }));
    const body = { model: 'qwen-plus', training_file_ids: ['file-ft-abc'], hyper_parameters: { n_epochs: 2 }, job_name: 'task_1' };
    expect((await client.createFineTune(body)).job).toMatchObject({ job_id: JOB.job_id, status: 'PENDING' });
    expect(JSON.parse(server.requests[0]!.body.toString())).toEqual(body);
    const got = await client.getFineTune(JOB.job_id);
    expect(got.job).toMatchObject({ status: 'SUCCEEDED', usage: 4096, finetuned_output: JOB.finetuned_output });
    expect(server.requests[1]!.path).toBe(`/api/v1/fine-tunes/${JOB.job_id}`);
  });

  it('never sends a job create twice when its answer was lost, and says the outcome is unknown', async () => {
    const { server, client } = await setup((_req, res) => res.socket?.destroy());
    const err = await client.createFineTune({ model: 'qwen-plus', training_file_ids: ['f'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashScopeAmbiguousError);
    expect(server.requests).toHaveLength(1);
  });

  it('lists jobs by page, and refuses a job id that is not one before sending anything', async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, { request_id: RID, output: { jobs: [JOB], total: 1, page_no: 1, page_size: 100 } }));
    expect(await client.listFineTunes({ page_no: 1, page_size: 100 })).toEqual({ jobs: [JOB], total: 1 });
    expect(server.requests[0]!.path).toBe('/api/v1/fine-tunes?page_no=1&page_size=100');
    await expect(client.getFineTune('../tasks/x')).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(1);
  });
});
