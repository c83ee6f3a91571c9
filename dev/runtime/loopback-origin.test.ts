import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/config.ts';
import { loopbackOrigin } from './loopback-origin.ts';
import { loopbackDashScopeConfig } from './runtime.ts';

describe('loopbackOrigin', () => {
  it.each([
    ['http://127.0.0.1:9100', 'http://127.0.0.1:9100'],
    ['http://127.8.9.10:9100/', 'http://127.8.9.10:9100'],
    ['http://localhost:9100', 'http://localhost:9100'],
    ['http://[::1]:9100', 'http://[::1]:9100'],
  ])('takes %s as this machine (%s)', (base, origin) => expect(loopbackOrigin(base)).toBe(origin));

  it.each(['https://dashscope.aliyuncs.com', 'http://10.0.0.5:9100', 'http://128.0.0.1', 'http://localhost.example.com', undefined])('leaves %s alone', (base) => {
    expect(loopbackOrigin(base)).toBeUndefined();
  });
});

describe('loopbackDashScopeConfig', () => {
  const env = { DATA_DIR: '/tmp/unused', RUNTIME_MODE: 'local', DASHSCOPE_API_KEY: 'sk-x', RESULT_HOST_ALLOWLIST: '*.aliyuncs.com' };

  it('adds a loopback DASHSCOPE_BASE_URL origin to the persist allowlist and says which', () => {
    const r = loopbackDashScopeConfig(loadConfig({ ...env, DASHSCOPE_BASE_URL: 'http://localhost:9300/' }));
    expect(r.trustedOrigin).toBe('http://localhost:9300');
    expect(r.config.RESULT_HOST_ALLOWLIST).toEqual(['*.aliyuncs.com', 'http://localhost:9300']);
  });

  it('changes nothing for a remote DashScope', () => {
    const config = loadConfig({ ...env, DASHSCOPE_BASE_URL: 'https://ws-1.cn-beijing.maas.aliyuncs.com' });
    expect(loopbackDashScopeConfig(config)).toEqual({ config });
  });
});
