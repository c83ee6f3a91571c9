// chat-stream facing hostile input: bodies nested thousands deep, multi-megabyte model names and ids. Each
// gets a small 4xx in the public error shape, nothing reaches DashScope, and no log line grows with the input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../shared/json/parse-json.ts';
import { startChatStack, type ChatStack } from './harness.ts';

let stack: ChatStack;
beforeAll(async () => {
  stack = await startChatStack();
});
afterAll(async () => stack?.close());

const ask = [{ role: 'user', content: 'Say hi.' }];
const MAX_LOG_LINE = 8 * 1024;

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(stack.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, size: text.length, error: (JSON.parse(text) as { error: { code: string; message: string; type: string; param?: string; request_id: string } }).error };
}

describe('chat-stream input limits', () => {
  it('answers 400 json_too_deep to a chat body with a field nested 5,000 arrays deep, and sends nothing upstream', async () => {
    const before = stack.upstream.length;
    const body = JSON.stringify({ model: 'qwen-plus', messages: ask, extra: 0 }).replace('"extra":0', `"extra":${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    const r = await post('/v1/chat/completions', body);
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ code: 'json_too_deep', type: 'invalid_request_error', request_id: expect.any(String) });
    expect(r.error.message).toContain(`${MAX_JSON_DEPTH} levels`);
    expect(stack.upstream.length).toBe(before);
  });

  it('answers 400 json_too_deep to embeddings nested too deep', async () => {
    const r = await post('/v1/embeddings', `{"model":"text-embedding-v4","input":${'['.repeat(100)}"a"${']'.repeat(100)}}`);
    expect(r).toMatchObject({ status: 400, error: { code: 'json_too_deep' } });
  });

  it('answers a 7 MB model name with a small 400 naming the field, and logs no long line', async () => {
    const before = stack.upstream.length;
    const model = 'q'.repeat(7 * 1024 * 1024);
    const r = await post('/v1/chat/completions', JSON.stringify({ model, messages: ask }));
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ code: 'invalid_request', param: 'model', message: expect.stringContaining('at most 128 characters') });
    expect(r.size).toBeLessThan(1_024);
    expect(stack.upstream.length).toBe(before);
    expect(Math.max(...stack.logLines.map((l) => l.length))).toBeLessThan(MAX_LOG_LINE);
  });

  it('answers a 1 MB embeddings model name with a small 400, and a 129-character one the same way', async () => {
    for (const model of ['e'.repeat(1024 * 1024), 'e'.repeat(129)]) {
      const r = await post('/v1/embeddings', JSON.stringify({ model, input: 'a' }));
      expect(r).toMatchObject({ status: 400, error: { param: 'model' } });
      expect(r.size).toBeLessThan(1_024);
    }
    expect(Math.max(...stack.logLines.map((l) => l.length))).toBeLessThan(MAX_LOG_LINE);
  });

  it('quotes an unknown model of ordinary length in its 404', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: 'qwen-nope', messages: ask }));
    expect(r).toMatchObject({ status: 404, error: { code: 'model_not_found', message: expect.stringContaining("'qwen-nope'") } });
  });

  it('refuses an over-long conversation id in the body or the header with a 400 naming it', async () => {
    const body = await post('/v1/chat/completions', JSON.stringify({ model: 'qwen-plus', messages: ask, conversation_id: 'c'.repeat(1024 * 1024) }));
    expect(body).toMatchObject({ status: 400, error: { param: 'conversation_id' } });
    expect(body.size).toBeLessThan(1_024);
    const header = await post('/v1/chat/completions', JSON.stringify({ model: 'qwen-plus', messages: ask }), { 'x-conversation-id': 'c'.repeat(8_000) });
    expect(header).toMatchObject({ status: 400, error: { code: 'invalid_conversation_id', param: 'X-Conversation-Id' } });
    expect(header.size).toBeLessThan(1_024);
  });

  it('answers a long unknown path with a small 404 and logs no long line', async () => {
    const res = await fetch(`${stack.url}/v1/${'p'.repeat(12_000)}`);
    const text = await res.text();
    expect(res.status).toBe(404);
    expect(text.length).toBeLessThan(1_024);
    expect(Math.max(...stack.logLines.map((l) => l.length))).toBeLessThan(MAX_LOG_LINE);
    expect(String(stack.requestLogs().at(-1)?.path)).toMatch(/^\/v1\/p+…\(12004 chars\)$/);
  });
});
