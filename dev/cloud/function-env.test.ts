import { describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../runtime/s-yaml.ts';
import { cloudTargets, functionEnv } from './function-env.ts';

const spec = { functionName: 'chat-stream' } as FunctionSpec;
const targetsOf = (shell: NodeJS.ProcessEnv) =>
  cloudTargets(
    { region: 'cn-beijing', accountId: '1', bucket: 'b', bus: 'dashscope-fc', tablePrefix: '' },
    { ots: { endpoint: 'http://127.0.0.1:1', instance: 'i' }, oss: { endpoint: 'http://127.0.0.1:2' }, bus: { endpoint: '127.0.0.1:3' } },
    { url: 'http://127.0.0.1:4', apiKey: 'sk-emulator' },
    shell,
  );

describe('the rehearsed functions’ client key settings', () => {
  it('share one CLIENT_KEY_SECRET: the shell’s, else one made for the run', () => {
    const made = targetsOf({});
    expect(functionEnv(spec, made, {}).CLIENT_KEY_SECRET).toBe(made.clientKeySecret);
    expect(made.clientKeySecret.length).toBeGreaterThanOrEqual(32);
    expect(targetsOf({}).clientKeySecret).not.toBe(made.clientKeySecret);
    const shell = { CLIENT_KEY_SECRET: 'shell-secret-0123456789abcdef-0123456789' };
    expect(functionEnv(spec, targetsOf(shell), shell).CLIENT_KEY_SECRET).toBe(shell.CLIENT_KEY_SECRET);
  });

  it('serve keyless calls without CLIENT_API_KEYS (as npm start does), require keys with them, and follow ALLOW_ANONYMOUS when it is set', () => {
    const env = (shell: NodeJS.ProcessEnv) => functionEnv(spec, targetsOf(shell), shell);
    expect(env({}).ALLOW_ANONYMOUS).toBe('true');
    expect(env({ CLIENT_API_KEYS: 'key-0123456789abcdef' })).toMatchObject({ ALLOW_ANONYMOUS: 'false', CLIENT_API_KEYS: 'key-0123456789abcdef' });
    expect(env({ ALLOW_ANONYMOUS: 'false' }).ALLOW_ANONYMOUS).toBe('false');
    expect(env({ CLIENT_API_KEYS: 'key-0123456789abcdef', ALLOW_ANONYMOUS: 'true' }).ALLOW_ANONYMOUS).toBe('true');
  });
});
