import { describe, expect, it } from 'vitest';
import { describeRuntime, type RuntimeDescription } from './banner.ts';

const base: RuntimeDescription = {
  sYamlPath: 's.yaml',
  dataDir: '.data',
  url: 'http://127.0.0.1:9214',
  dashscopeOrigin: 'https://dashscope.aliyuncs.com',
  clientKeys: 0,
  routes: [{ method: 'POST', path: '/v1/chat/completions', fn: { name: 'chat-stream' } }] as unknown as RuntimeDescription['routes'],
  timers: [],
  intervalMs: 2000,
  oss: [],
  bridge: [],
  notes: [],
};

describe('start banner', () => {
  it('says client keys are not checked and shows a chat curl without a key against the actual URL', () => {
    const lines = describeRuntime(base);
    expect(lines).toContain('client keys: not checked (set CLIENT_API_KEYS to require Authorization: Bearer <key>)');
    expect(lines).toContain(
      `  curl -s http://127.0.0.1:9214/v1/chat/completions -H 'content-type: application/json' -d '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'`,
    );
    expect(lines.join('\n')).not.toContain('Authorization: Bearer $CLIENT_KEY');
  });

  it('says how many client keys are enforced and puts a $CLIENT_KEY placeholder in the curl', () => {
    const lines = describeRuntime({ ...base, clientKeys: 3 });
    expect(lines.some((l) => l.startsWith('client keys: enforced (3 keys)'))).toBe(true);
    expect(lines).toContain(
      `  curl -s http://127.0.0.1:9214/v1/chat/completions -H 'content-type: application/json' -H "Authorization: Bearer $CLIENT_KEY" -d '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'`,
    );
  });

  it('shows no curl when no function serves chat', () => {
    expect(describeRuntime({ ...base, routes: [] }).join('\n')).not.toContain('curl');
  });
});
