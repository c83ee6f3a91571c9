// The cloud composition root over the three wire-level stand-ins: deps built from the environment as a
// function bundle builds them, signing every call with the credentials the latest invocation brought.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, type EventBridgeStandin } from '../../dev/standins/eventbridge/server.ts';
import { OssStandin } from '../../dev/standins/oss/oss-standin.ts';
import { TablestoreStandin } from '../../dev/standins/tablestore/tablestore-standin.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { createConversationTable } from '../../shared/adapters/tablestore/tablestore-conversation-store.ts';
import { createKeyTable } from '../../shared/adapters/tablestore/tablestore-key-store.ts';
import { createTaskTables, taskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import { ConfigError, loadConfig } from '../../shared/config/config.ts';
import { createCloudDeps, eventBridgeEndpoint, ossEndpoints } from '../../shared/deps/cloud-deps.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { FcCredentials } from '../../shared/runtime/fc-credentials.ts';
import { makeEvent } from '../contract/event-bus-contract.ts';
import { makeTask } from '../contract/task-store-contract.ts';

/** The role's credentials as two invocations bring them: STS keys rotate under a running instance. */
const FIRST = { accessKeyId: 'STS.first', accessKeySecret: 'first-secret-0123', securityToken: 'token-1' };
const SECOND = { accessKeyId: 'STS.second', accessKeySecret: 'second-secret-4567', securityToken: 'token-2' };

let ots: TablestoreStandin;
let oss: OssStandin;
let bus: EventBridgeStandin;
let env: Record<string, string>;

beforeAll(async () => {
  ots = await new TablestoreStandin({ credentials: [FIRST, SECOND] }).start();
  oss = await OssStandin.start({ region: 'cn-beijing', buckets: ['media'], credentials: { [FIRST.accessKeyId]: FIRST, [SECOND.accessKeyId]: SECOND } });
  bus = await startEventBridgeStandin({ buses: ['dashscope-fc'], credentials: [FIRST, SECOND] });
  const setup = new TablestoreClient({ endpoint: ots.endpoint, instance: ots.instance, credentials: () => FIRST });
  await createTaskTables(setup, taskTableNames('t_'));
  await createConversationTable(setup, 't_conversations');
  await createKeyTable(setup, 't_client_keys');
  env = {
    RUNTIME_MODE: 'cloud',
    DASHSCOPE_API_KEY: 'sk-not-used-here',
    OSS_BUCKET: 'media',
    OSS_REGION: 'oss-cn-beijing',
    OSS_ENDPOINT: oss.endpoint,
    OSS_PUBLIC_ENDPOINT: oss.endpoint,
    OTS_ENDPOINT: ots.endpoint,
    OTS_INSTANCE: ots.instance,
    OTS_TABLE_PREFIX: 't_',
    EVENTBRIDGE_ENDPOINT: `http://${bus.endpoint}`,
    EVENTBRIDGE_BUS: 'dashscope-fc',
    LOG_LEVEL: 'silent',
  };
});

afterAll(async () => {
  await Promise.all([ots?.stop(), oss?.close(), bus?.close()]);
});

const cloudDeps = (credentials: FcCredentials): Deps => createCloudDeps(loadConfig(env), { logger: silentLogger, credentials });

describe('cloud composition root', () => {
  it('names every variable cloud mode cannot do without', () => {
    const err = (() => {
      try {
        loadConfig({ RUNTIME_MODE: 'cloud', DASHSCOPE_API_KEY: 'sk-x' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variables).toEqual(['OSS_BUCKET', 'OTS_INSTANCE', 'OSS_REGION', 'OTS_ENDPOINT', 'EVENTBRIDGE_ENDPOINT']);
  });

  it('derives the endpoints FC implies: OSS internal for data and public for URLs, Table Store public, EventBridge from the account and region', () => {
    const config = loadConfig({ ...env, OSS_ENDPOINT: '', OSS_PUBLIC_ENDPOINT: '', OSS_INTERNAL: 'true', EVENTBRIDGE_ENDPOINT: '', OTS_ENDPOINT: '', OTS_INSTANCE: 'inst1', FC_ACCOUNT_ID: '123', FC_REGION: 'cn-beijing' });
    // no VPC: Table Store's public endpoint (its VPC endpoint needs a VPC binding)
    expect(config.OTS_ENDPOINT).toBe('https://inst1.cn-beijing.ots.aliyuncs.com');
    expect(ossEndpoints(config)).toEqual({ region: 'cn-beijing', endpoint: 'https://oss-cn-beijing-internal.aliyuncs.com', publicEndpoint: 'https://oss-cn-beijing.aliyuncs.com' });
    expect(eventBridgeEndpoint(config)).toEqual({ endpoint: '123.eventbridge.cn-beijing.aliyuncs.com', protocol: 'https' });
  });

  it('stores a task, an object and an event in the three services, signed with the invocation credentials', async () => {
    const credentials = new FcCredentials({});
    const deps = cloudDeps(credentials);
    credentials.update(FIRST);
    const task = makeTask();
    await deps.tasks.create(task);
    expect(await deps.tasks.get(task.id)).toEqual(task);
    await deps.objects.put('results/manifests/x.json', Buffer.from('{"a":1}'), { contentType: 'application/json', createOnly: true });
    expect(oss.keys('media')).toContain('results/manifests/x.json');
    await deps.events.publish([makeEvent('task.persisted', { subject: task.id })]);
    expect(bus.received().map((e) => e.subject)).toContain(task.id);
    const saved = await deps.conversations.put('conv-1', 0, { turns: [] }, new Date());
    expect(saved.version).toBe(1);
  });

  it('keeps client keys in the deployment\'s key table, and names CLIENT_KEY_SECRET when it is needed and not set', async () => {
    const credentials = new FcCredentials({});
    credentials.update(FIRST);
    const deps = cloudDeps(credentials);
    const key = { id: 'key_cloud1', name: 'acme', role: 'app' as const, hash: 'a'.repeat(64), limits: {}, budgets: {}, revoked: false, createdAt: '2026-03-01T00:00:00.000Z' };
    await deps.keys.create(key);
    expect(await deps.keys.findByHash(key.hash)).toEqual(key);
    expect(ots.requests.filter((r) => r.op === 'PutRow').at(-1)?.table).toBe('t_client_keys');
    expect(() => deps.clientKeySecret()).toThrow(ConfigError);
    expect(() => deps.clientKeySecret()).toThrow(/CLIENT_KEY_SECRET/);
    const secret = 'cloud-test-secret-0123456789abcdef-xyz';
    expect(createCloudDeps(loadConfig({ ...env, CLIENT_KEY_SECRET: secret }), { logger: silentLogger, credentials }).clientKeySecret()).toBe(secret);
  });

  it('signs with the newest credentials an invocation brought, and with the environment before any came', async () => {
    const credentials = new FcCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: FIRST.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: FIRST.accessKeySecret, ALIBABA_CLOUD_SECURITY_TOKEN: FIRST.securityToken });
    const deps = cloudDeps(credentials);
    const before = makeTask();
    await deps.tasks.create(before);
    credentials.update(SECOND);
    const after = makeTask();
    await deps.tasks.create(after);
    const signedBy = ots.requests.filter((r) => r.op === 'PutRow').slice(-2).map((r) => r.accessKeyId);
    expect(signedBy).toEqual([FIRST.accessKeyId, SECOND.accessKeyId]);
  });

  it('fails a call plainly when no credentials came and the environment has none', async () => {
    const deps = cloudDeps(new FcCredentials({}));
    await expect(deps.tasks.get('task_x')).rejects.toThrow(/credentials/);
  });
});
