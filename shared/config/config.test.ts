import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies the embedded defaults on an empty environment (local mode, Beijing host, port 9000)', () => {
    const c = loadConfig({});
    expect(c.mode).toBe('local');
    expect(c.dashscopeOrigin).toBe('https://dashscope.aliyuncs.com');
    expect(c.listenPort).toBe(9000);
    expect(c.DASHSCOPE_MAX_RETRIES).toBe(2);
    expect(c.RESULT_HOST_ALLOWLIST).toEqual(['*.aliyuncs.com']);
  });

  it('selects the international host by region and lets an explicit base URL override it', () => {
    expect(loadConfig({ DASHSCOPE_REGION: 'ap-southeast-1' }).dashscopeOrigin).toBe('https://dashscope-intl.aliyuncs.com');
    expect(loadConfig({ DASHSCOPE_REGION: 'ap-southeast-1', DASHSCOPE_BASE_URL: 'http://127.0.0.1:9100/' }).dashscopeOrigin).toBe('http://127.0.0.1:9100');
  });

  it('prefers FC_CUSTOM_LISTEN_PORT over PORT', () => {
    expect(loadConfig({ PORT: '8080' }).listenPort).toBe(8080);
    expect(loadConfig({ PORT: '8080', FC_CUSTOM_LISTEN_PORT: '9001' }).listenPort).toBe(9001);
  });

  it('names the wrong variable in the error', () => {
    expect(() => loadConfig({ DASHSCOPE_REGION: 'mars-1' })).toThrow(/DASHSCOPE_REGION/);
    expect(() => loadConfig({ DASHSCOPE_TIMEOUT_MS: 'soon' })).toThrow(/DASHSCOPE_TIMEOUT_MS/);
    try {
      loadConfig({ PORT: '70000', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variables.sort()).toEqual(['LOG_LEVEL', 'PORT']);
    }
  });

  it('requires the DashScope key in cloud mode and never echoes a secret value', () => {
    expect(() => loadConfig({ FC_FUNCTION_NAME: 'chat-stream' })).toThrow(/DASHSCOPE_API_KEY/);
    const secret = ['sk', 'fake', 'config', 'test', 'value'].join('-');
    try {
      loadConfig({ DASHSCOPE_API_KEY: secret, DASHSCOPE_BASE_URL: 'not a url' });
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(secret);
      expect(String((e as Error).message)).toContain('DASHSCOPE_BASE_URL');
    }
  });

  it('takes CNY_PER_USD as a positive number, 7.2 by default, and names it when it is not', () => {
    expect(loadConfig({}).CNY_PER_USD).toBe(7.2);
    expect(loadConfig({ CNY_PER_USD: '7.1' }).CNY_PER_USD).toBe(7.1);
    for (const bad of ['0', '-7', 'seven', 'Infinity']) expect(() => loadConfig({ CNY_PER_USD: bad }), bad).toThrow(/CNY_PER_USD/);
  });

  it('parses the allowlist as a comma-separated list', () => {
    expect(loadConfig({ RESULT_HOST_ALLOWLIST: 'a.example.com, *.aliyuncs.com ,' }).RESULT_HOST_ALLOWLIST).toEqual(['a.example.com', '*.aliyuncs.com']);
  });

  it('takes CLIENT_API_KEYS as name=key entries or bare keys named key-<position>, each its own tenant', () => {
    expect(loadConfig({ CLIENT_API_KEYS: 'key-one-0123456789, mobile=key-two-0123456789 ,web_2=key-three-0123456789,key-four-0123456789' }).CLIENT_API_KEYS).toEqual([
      { name: 'key-1', key: 'key-one-0123456789' },
      { name: 'mobile', key: 'key-two-0123456789' },
      { name: 'web_2', key: 'key-three-0123456789' },
      { name: 'key-4', key: 'key-four-0123456789' },
    ]);
  });

  it('names the variable and the entry, never a key, when an entry is not a one-word key of 16+ characters under a tenant name', () => {
    const cases: [string, RegExp][] = [
      ['short-key', /entry 1: each key must be at least 16 characters/],
      ['key with spaces 0123456789', /entry 1: a key cannot contain spaces/],
      [' , ', /list at least one key/],
      ['ok-key-0123456789,Mobile=key-two-0123456789', /entry 2: the tenant name before '=' must be lower-case/],
      ['=key-two-0123456789', /entry 1: the tenant name/],
      ['app=short-key', /entry 1: each key must be at least 16/],
      ['a=dup-key-0123456789,b=dup-key-0123456789', /entry 2: the same key is listed twice/],
    ];
    for (const [bad, expected] of cases) {
      let message = '';
      try {
        loadConfig({ CLIENT_API_KEYS: bad });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, bad).toContain('CLIENT_API_KEYS');
      expect(message, bad).toMatch(expected);
      expect(message).not.toContain('0123456789');
      expect(message).not.toContain('short-key');
    }
  });

  it('takes CLIENT_KEY_SECRET of 32+ characters only, the key cache time (default 5 s, 0 allowed) and ALLOW_ANONYMOUS', () => {
    expect(loadConfig({})).toMatchObject({ CLIENT_KEY_CACHE_MS: 5_000, ALLOW_ANONYMOUS: false });
    expect(loadConfig({ CLIENT_KEY_CACHE_MS: '0', ALLOW_ANONYMOUS: 'true' })).toMatchObject({ CLIENT_KEY_CACHE_MS: 0, ALLOW_ANONYMOUS: true });
    expect(loadConfig({ CLIENT_KEY_SECRET: 'x'.repeat(32) }).CLIENT_KEY_SECRET).toBe('x'.repeat(32));
    const short = 'too-short-secret-value';
    let message = '';
    try {
      loadConfig({ CLIENT_KEY_SECRET: short });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('CLIENT_KEY_SECRET: must be at least 32 characters');
    expect(message).not.toContain(short);
    expect(() => loadConfig({ CLIENT_KEY_CACHE_MS: '-1' })).toThrow(/CLIENT_KEY_CACHE_MS/);
  });

  it('bounds our HTTP servers by default (30 s request, 10 s headers, 5 s keep-alive, 1,000 sockets) and takes overrides', () => {
    expect(loadConfig({})).toMatchObject({ HTTP_REQUEST_TIMEOUT_MS: 30_000, HTTP_HEADERS_TIMEOUT_MS: 10_000, HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000, HTTP_MAX_CONNECTIONS: 1_000 });
    const c = loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '60000', HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000', HTTP_MAX_CONNECTIONS: '200' });
    expect(c).toMatchObject({ HTTP_REQUEST_TIMEOUT_MS: 60_000, HTTP_HEADERS_TIMEOUT_MS: 5_000, HTTP_KEEP_ALIVE_TIMEOUT_MS: 65_000, HTTP_MAX_CONNECTIONS: 200 });
  });

  it('refuses HTTP limits that would disable a deadline or the cap, and a header deadline past the request deadline', () => {
    for (const [name, value] of [['HTTP_REQUEST_TIMEOUT_MS', '0'], ['HTTP_HEADERS_TIMEOUT_MS', 'never'], ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'], ['HTTP_MAX_CONNECTIONS', '0']] as const) {
      expect(() => loadConfig({ [name]: value }), name).toThrow(new RegExp(name));
    }
    try {
      loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variables).toEqual(['HTTP_HEADERS_TIMEOUT_MS']);
      expect((e as Error).message).toContain('HTTP_REQUEST_TIMEOUT_MS');
    }
  });
});
