import { describe, expect, it } from 'vitest';
import { describeRuntime, type RuntimeDescription } from './banner.ts';

const base: RuntimeDescription = {
  sYamlPath: 's.yaml',
  dataDir: '.data',
  url: 'http://127.0.0.1:9214',
  dashscopeOrigin: 'https://dashscope.aliyuncs.com',
  clientKeys: { configured: 0, stored: 0, open: true },
  routes: [{ method: 'POST', path: '/v1/chat/completions', fn: { name: 'chat-stream' } }] as unknown as RuntimeDescription['routes'],
  timers: [],
  intervalMs: 2000,
  oss: [],
  bridge: [],
  notes: [],
};

describe('start banner', () => {
  it('says the runtime is open to the local tenant with no key anywhere, and shows a chat curl without a key against the actual URL', () => {
    const lines = describeRuntime(base);
    expect(lines).toContain(
      "client keys: none (no CLIENT_API_KEYS, none in the key store), so this runtime is open: every request acts as the tenant 'local' (admin). Make one with npm run keys -- create --name NAME",
    );
    expect(lines).toContain(
      `  curl -s http://127.0.0.1:9214/v1/chat/completions -H 'content-type: application/json' -d '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'`,
    );
    expect(lines.join('\n')).not.toContain('Authorization: Bearer $CLIENT_KEY');
  });

  it('says how many client keys are enforced, configured and stored, and puts a $CLIENT_KEY placeholder in the curl', () => {
    const lines = describeRuntime({ ...base, clientKeys: { configured: 1, stored: 2, open: false } });
    expect(lines).toContain('client keys: enforced (1 in CLIENT_API_KEYS, 2 in the key store); send one as Authorization: Bearer <key>');
    expect(lines.join('\n')).not.toContain('open');
    expect(lines).toContain(
      `  curl -s http://127.0.0.1:9214/v1/chat/completions -H 'content-type: application/json' -H "Authorization: Bearer $CLIENT_KEY" -d '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'`,
    );
  });

  it('shows no curl when no function serves chat', () => {
    expect(describeRuntime({ ...base, routes: [] }).join('\n')).not.toContain('curl');
  });
});
