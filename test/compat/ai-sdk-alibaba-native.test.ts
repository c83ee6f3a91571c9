// `@ai-sdk/alibaba`, unchanged, against `npm start` with every base URL at the layer's origin: embeddings on
// DashScope's native path, video through the native task API to the layer's persisted copy, chat on the
// compatible-mode path; and the native paths' raw HTTP shapes.
import { createAlibaba } from '@ai-sdk/alibaba';
import { embedMany, experimental_generateVideo as generateVideo, generateText } from 'ai';
import { describe, expect, inject, it } from 'vitest';

const origin = inject('compatOrigin');
const alibaba = createAlibaba({
  apiKey: 'local-mode-needs-none',
  baseURL: `${origin}/compatible-mode/v1`,
  embeddingBaseURL: `${origin}/api/v1`,
  videoBaseURL: origin,
});

/** Fetches a result URL as the app would, after checking it is the layer's and not DashScope's. */
async function fromLayer({ url }: { url: URL }): Promise<{ data: Uint8Array; mediaType: string | undefined }> {
  expect(url.origin).toBe(origin);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { data: new Uint8Array(await res.arrayBuffer()), mediaType: res.headers.get('content-type') ?? undefined };
}

/** This month's ledger row of a model, from the layer's usage report (local open mode: the admin's view). */
async function usageOf(model: string): Promise<{ requests: number; cost_cny: number; units: Record<string, number> } | undefined> {
  const report = (await (await fetch(`${origin}/v1/usage?group_by=model`)).json()) as { data: { model?: string; requests: number; cost_cny: number; units: Record<string, number> }[] };
  return report.data.find((row) => row.model === model);
}

describe('@ai-sdk/alibaba against npm start', () => {
  it('embedMany embeds on the native path, in input order, with usage', async () => {
    const values = ['a red fox', 'a grey wolf', 'fresh snow', 'a frozen lake', 'pine trees', 'a cabin', 'smoke', 'stars', 'the moon', 'dawn', 'a river', 'ice'];
    const r = await embedMany({ model: alibaba.embedding('text-embedding-v4'), values, providerOptions: { alibaba: { dimension: 512, textType: 'document' } }, maxRetries: 0 });
    // more than the provider's 10 per call: two native requests
    expect(r.embeddings).toHaveLength(values.length);
    expect(r.embeddings.every((e) => e.length === 512)).toBe(true);
    expect(r.usage.tokens).toBeGreaterThan(0);
    const again = await embedMany({ model: alibaba.embedding('text-embedding-v4'), values: [values[11]!], providerOptions: { alibaba: { dimension: 512 } }, maxRetries: 0 });
    expect(again.embeddings[0]).toEqual(r.embeddings[11]);
    expect((await usageOf('text-embedding-v4'))?.units.prompt_tokens).toBeGreaterThanOrEqual(r.usage.tokens);
  });

  it("experimental_generateVideo creates a native task, polls it and gets the layer's persisted MP4", async () => {
    const r = await generateVideo({
      model: alibaba.video('wan2.5-t2v-preview'),
      prompt: 'a fox running through snow',
      resolution: '832x480',
      duration: 5,
      providerOptions: { alibaba: { pollIntervalMs: 500, pollTimeoutMs: 150_000 } },
      download: fromLayer,
      maxRetries: 0,
    });
    const meta = r.providerMetadata.alibaba as unknown as { taskId: string; videoUrl: string };
    expect(meta.taskId).toMatch(/^task_/);
    const url = new URL(meta.videoUrl);
    expect(url.origin).toBe(origin);
    expect(url.pathname).toMatch(new RegExp(`^/_oss/media/\\d{4}/\\d\\d/\\d\\d/${meta.taskId}/0\\.mp4$`));
    // an MP4: its first box is ftyp
    expect(Buffer.from(r.video.uint8Array.subarray(4, 8)).toString('latin1')).toBe('ftyp');
    expect(r.video.mediaType).toBe('video/mp4');
    // the layer's own view of the task agrees: PERSISTED, the same object
    const view = (await (await fetch(`${origin}/v1/tasks/${meta.taskId}`)).json()) as { status: string; outputs: { key: string }[] };
    expect(view.status).toBe('PERSISTED');
    expect(url.pathname).toBe(`/_oss/${view.outputs[0]!.key}`);
    // billed in the layer's ledger, like any task
    const billed = await usageOf('wan2.5-t2v-preview');
    expect(billed?.requests).toBeGreaterThanOrEqual(1);
    expect(billed?.cost_cny).toBeGreaterThan(0);
  }, 180_000);

  it('generateText chats on the compatible-mode path', async () => {
    const r = await generateText({ model: alibaba('qwen-plus'), prompt: 'Name a river.', maxRetries: 0 });
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
  });

  it('surfaces a refusal on a native path as an APICallError carrying the layer’s message', async () => {
    await expect(embedMany({ model: alibaba.embedding('text-embedding-v3'), values: ['x'], providerOptions: { alibaba: { dimension: 2048 } }, maxRetries: 0 })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('supports dimensions'),
    });
  });
});

describe('native paths over raw HTTP on npm start', () => {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(origin + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-dashscope-async': 'enable' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('answers bad input on the video path in DashScope error shape', async () => {
    const r = await post('/api/v1/services/aigc/video-generation/video-synthesis', { model: 'wan2.5-t2v-preview', input: { prompt: 'x' }, parameters: { size: '720P' } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 'InvalidParameter', message: expect.stringContaining('parameters.size'), request_id: expect.any(String) });
  });

  it('answers an unknown task id UNKNOWN as DashScope does', async () => {
    const res = await fetch(`${origin}/api/v1/tasks/task_${'0'.repeat(32)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ request_id: expect.any(String), output: { task_id: `task_${'0'.repeat(32)}`, task_status: 'UNKNOWN' } });
  });

  it('answers a path no function serves under /api/v1 in DashScope error shape', async () => {
    const r = await post('/api/v1/services/aigc/multimodal-generation/generation', { model: 'qwen-vl-plus' });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: 'NotFound', request_id: expect.any(String) });
  });
});
