// The `openai` SDK's generic calls against `npm start`'s fine-tune routes: the SDK has no client for this
// API (its own is /fine_tuning/jobs), but an app using it reads our refusals as its typed errors.
import OpenAI from 'openai';
import { describe, expect, inject, it } from 'vitest';

const client = new OpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none', maxRetries: 0 });

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('openai SDK against npm start: /v1/fine-tunes', () => {
  it('reads a missing training_file as a BadRequestError naming the field', async () => {
    const e = await refusal(client.post('/fine-tunes', { body: { model: 'qwen-plus' } }));
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e).toMatchObject({ status: 400, code: 'invalid_request', param: 'training_file' });
  });

  it('reads an unknown model and an unknown file as typed errors with their codes', async () => {
    const model = await refusal(client.post('/fine-tunes', { body: { training_file: 'inbox/local/finetune/a.jsonl', model: 'qwen-nope' } }));
    expect(model).toBeInstanceOf(OpenAI.BadRequestError);
    expect(model).toMatchObject({ code: 'model_not_found', param: 'model' });
    const file = await refusal(client.post('/fine-tunes', { body: { training_file: 'inbox/local/finetune/none.jsonl', model: 'qwen-plus' } }));
    expect(file).toBeInstanceOf(OpenAI.NotFoundError);
    expect(file).toMatchObject({ code: 'file_not_found', param: 'training_file' });
  });

  it('reads an unknown fine-tune id as a NotFoundError', async () => {
    const e = await refusal(client.get('/fine-tunes/task_00000000000000000000000000000000'));
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e).toMatchObject({ code: 'task_not_found' });
  });
});
