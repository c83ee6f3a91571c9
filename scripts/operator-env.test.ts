// The operator tools' environment: every missing variable named with what to set, the access key required,
// and error lines that are one line, clipped, and free of secrets.
import { describe, expect, it } from 'vitest';
import { loadOperatorConfig, oneLine, OperatorEnvError, operatorCredentials, REQUIRE } from './operator-env.ts';

describe('operator environment', () => {
  it('names every missing requirement with its hint, and none that is met', () => {
    expect(() => loadOperatorConfig({ OTS_INSTANCE: 'prod', OSS_REGION: 'cn-beijing' }, [REQUIRE.otsEndpoint, REQUIRE.otsInstance, REQUIRE.ossRegion, REQUIRE.fcApi])).toThrow(
      new OperatorEnvError(
        'missing: OTS_ENDPOINT (or OTS_INSTANCE and FC_REGION) (the Table Store instance endpoint, by default https://<instance>.<region>.ots.aliyuncs.com); FC_ACCOUNT_ID and FC_REGION, or FC_ENDPOINT (the account id and region of the functions, or the FC API origin)',
      ),
    );
  });

  it('derives the Table Store endpoint from the instance and region, as the functions do', () => {
    expect(loadOperatorConfig({ OTS_INSTANCE: 'prod', FC_REGION: 'cn-hangzhou' }, [REQUIRE.otsEndpoint]).OTS_ENDPOINT).toBe('https://prod.cn-hangzhou.ots.aliyuncs.com');
    expect(loadOperatorConfig({ OTS_INSTANCE: 'prod', FC_REGION: 'cn-hangzhou', OTS_ENDPOINT: 'https://prod.cn-hangzhou.vpc.tablestore.aliyuncs.com' }, []).OTS_ENDPOINT).toBe('https://prod.cn-hangzhou.vpc.tablestore.aliyuncs.com');
  });

  it("reads the functions' variables without asking for what only a running function needs", () => {
    const c = loadOperatorConfig({ FC_ENDPOINT: 'http://127.0.0.1:9300', OTS_TABLE_PREFIX: 'staging_' }, [REQUIRE.fcApi]);
    expect(c).toMatchObject({ FC_ENDPOINT: 'http://127.0.0.1:9300', OTS_TABLE_PREFIX: 'staging_' });
    expect(c.DASHSCOPE_API_KEY).toBeUndefined();
  });

  it('refuses an FC_ENDPOINT that is not an http(s) origin, naming it', () => {
    expect(() => loadOperatorConfig({ FC_ENDPOINT: 'ftp://x' }, [])).toThrow(/FC_ENDPOINT/);
  });

  it('takes the access key, with the STS token when there is one', () => {
    expect(operatorCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's3cr3t' })).toEqual({ accessKeyId: 'LTAIx', accessKeySecret: 's3cr3t' });
    expect(operatorCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.x', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's', ALIBABA_CLOUD_SECURITY_TOKEN: 't' })).toMatchObject({ securityToken: 't' });
    expect(() => operatorCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx' })).toThrow(/^missing: ALIBABA_CLOUD_ACCESS_KEY_SECRET \(/);
  });

  it('makes one clipped line of an error, with the secrets replaced', () => {
    const e = new Error(`denied for key-secret-9999\n    at sign (sdk.js:1:1)\n${'x'.repeat(600)}`);
    const line = oneLine(e, ['key-secret-9999', undefined]);
    expect(line).toMatch(/^denied for \*\*\* at sign \(sdk\.js:1:1\) x+…$/);
    expect(line).not.toContain('\n');
    expect(line.length).toBe(501);
  });
});
