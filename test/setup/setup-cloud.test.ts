// `npm run setup:cloud` as an operator runs it (its own process): usage, a missing variable named in one line,
// and against stand-ins of an empty account: a dry run that plans everything, --apply, and a plan left empty.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, type EventBridgeStandin } from '../../dev/standins/eventbridge/server.ts';
import { OssStandin } from '../../dev/standins/oss/oss-standin.ts';
import { TablestoreStandin } from '../../dev/standins/tablestore/tablestore-standin.ts';

const repo = join(import.meta.dirname, '..', '..');
// OTS_ENDPOINT left to its default, the instance's public endpoint in FC_REGION
const FULL = {
  OTS_INSTANCE: 'prod',
  OSS_BUCKET: 'dashscope-fc-media',
  FC_REGION: 'cn-beijing',
  FC_ACCOUNT_ID: '1234567890123456',
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIsetuptest00000001',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'setup-test-secret-0001',
};

function setup(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/setup-cloud.ts', ...args], { cwd: repo, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('npm run setup:cloud', () => {
  it('names a missing variable with what to set, in one line, and exits 1', async () => {
    const { OSS_BUCKET: _, ...rest } = FULL;
    const r = await setup([], rest);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('setup:cloud: missing: OSS_BUCKET (the bucket of inbox/, results/ and media/)\n');
  });

  it("asks for the functions' account and region, which the bus's rules target, even with EventBridge's endpoint set", async () => {
    const { FC_ACCOUNT_ID: _, ...rest } = FULL;
    const r = await setup([], { ...rest, OTS_ENDPOINT: 'http://127.0.0.1:1', EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("setup:cloud: missing: FC_ACCOUNT_ID and FC_REGION (the account id and region of the functions, the targets of the bus's rules)\n");
  });

  it('asks for the access key without showing anything of it', async () => {
    const r = await setup([], { ...FULL, ALIBABA_CLOUD_ACCESS_KEY_ID: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^setup:cloud: missing: ALIBABA_CLOUD_ACCESS_KEY_ID \(/);
    expect(r.stderr).not.toContain(FULL.ALIBABA_CLOUD_ACCESS_KEY_SECRET);
  });

  it('answers an unknown argument with usage and exit 2', async () => {
    const r = await setup(['--force'], FULL);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: npm run setup:cloud [-- --apply | --policies]');
  });

  it('prints the RAM policies filled in with --policies, asking for no access key', async () => {
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: _id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: _secret, ...noKey } = FULL;
    const r = await setup(['--policies'], noKey);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('# deploy/function-role-policy.json');
    expect(r.stdout).toContain('acs:ots:cn-beijing:1234567890123456:instance/prod/table/*');
    expect(r.stdout).not.toContain('${');
  });

  it('fails in one line, exit 1, when a service cannot be reached', async () => {
    const r = await setup([], { ...FULL, OTS_ENDPOINT: 'http://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Table Store tables: plan failed: /);
    expect(r.stderr).not.toContain(FULL.ALIBABA_CLOUD_ACCESS_KEY_SECRET);
  });
});

describe('npm run setup:cloud against the stand-ins of an empty account', () => {
  const key = { accessKeyId: FULL.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: FULL.ALIBABA_CLOUD_ACCESS_KEY_SECRET };
  let ots: TablestoreStandin;
  let oss: OssStandin;
  let eb: EventBridgeStandin;
  let env: Record<string, string>;
  beforeAll(async () => {
    ots = await new TablestoreStandin({ instance: 'prod', credentials: [key] }).start();
    oss = await OssStandin.start({ region: 'cn-beijing', buckets: [], credentials: { [key.accessKeyId]: { accessKeySecret: key.accessKeySecret } } });
    eb = await startEventBridgeStandin({ credentials: [key] });
    env = { ...FULL, OTS_ENDPOINT: ots.endpoint, OSS_ENDPOINT: oss.endpoint, EVENTBRIDGE_ENDPOINT: `http://${eb.endpoint}` };
  });
  afterAll(async () => {
    await ots?.stop();
    await oss?.close();
    await eb?.close();
  });

  it('plans everything on a dry run and changes nothing; --apply makes it; then the plan is empty', async () => {
    const dry = await setup([], env);
    expect(dry, dry.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toMatch(/Table Store tables/);
    expect(dry.stdout).toMatch(/tasks/);
    expect(dry.stdout).toContain('create table guard_counters (key STRING)');
    expect(dry.stdout).toMatch(/create bucket/i);
    expect(dry.stdout).toContain('EventBridge bus dashscope-fc: 1 change\n  - create EventBridge bus dashscope-fc\n');
    // the pipeline triggers of s.yaml, as rules on the custom bus delivering to submit-task
    expect(dry.stdout).toContain('EventBridge rules on dashscope-fc: 2 changes\n  - create rule dashscope-fc-submit-task-pipeline-events on bus dashscope-fc matching {"source":["dashscope-fc"],"type":["pipeline.queued","pipeline.due"]}, target dashscope-fc-submit-task → acs:fc:cn-beijing:1234567890123456:functions/dashscope-fc-submit-task\n  - create rule dashscope-fc-submit-task-pipeline-tasks ');
    expect(ots.engine.listTables()).toEqual([]);
    expect(eb.buses()).toEqual(['default']);

    const applied = await setup(['--apply'], env);
    expect(applied, applied.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(ots.engine.listTables().sort()).toEqual(['client_keys', 'conversations', 'guard_claims', 'guard_counters', 'guard_ledger', 'guard_reservations', 'pipelines', 'task_idempotency', 'tasks'].sort());
    expect(eb.buses()).toEqual(['dashscope-fc', 'default']);
    expect(eb.rules('dashscope-fc').map((r) => r.name)).toEqual(['dashscope-fc-submit-task-pipeline-events', 'dashscope-fc-submit-task-pipeline-tasks']);

    const again = await setup([], env);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).not.toMatch(/create/i);
    expect(again.stdout.trim().split('\n')).toEqual([
      'Table Store tables: up to date', 'EventBridge bus dashscope-fc: up to date', 'EventBridge rules on dashscope-fc: up to date', 'OSS bucket dashscope-fc-media and its lifecycle rules: up to date', 'everything is up to date',
    ]);
  });

  it('stops at the bus when EventBridge refuses the key: one line naming the step and the code, without the secret, exit 1', async () => {
    eb.credentials.remove(key.accessKeyId);
    try {
      const r = await setup([], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^EventBridge bus dashscope-fc: plan failed: GetEventBus failed \(auth InvalidAccessKeyId, request [\w-]+\)\n$/);
      expect(r.stderr).not.toContain(key.accessKeySecret);
    } finally {
      eb.credentials.add(key);
    }
  });
});
