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
});
