// `npm run setup:cloud` as an operator runs it (its own process): usage, a missing variable named in one line,
// a dry run that plans and exits 0, and an apply that makes the bus on the EventBridge stand-in.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, type EventBridgeStandin } from '../../dev/standins/eventbridge/server.ts';

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

let eb: EventBridgeStandin;
beforeAll(async () => {
  eb = await startEventBridgeStandin({ credentials: [{ accessKeyId: FULL.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: FULL.ALIBABA_CLOUD_ACCESS_KEY_SECRET }] });
});
afterAll(async () => eb?.close());
const withStandins = () => ({ ...FULL, EVENTBRIDGE_ENDPOINT: `http://${eb.endpoint}` });

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

  it('plans on a dry run and exits 0, changing nothing', async () => {
    const r = await setup([], withStandins());
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('EventBridge bus dashscope-fc: 1 change\n  - create EventBridge bus dashscope-fc\n');
    expect(eb.buses()).toEqual(['default']);
  });

  it('applies the plan, then finds everything up to date', async () => {
    const r = await setup(['--apply'], withStandins());
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('EventBridge bus dashscope-fc: applied\n');
    expect(r.stdout).toContain('applied; a new plan finds everything up to date\n');
    expect(eb.buses()).toEqual(['dashscope-fc', 'default']);
    expect(await setup([], withStandins())).toMatchObject({ code: 0, stdout: expect.stringContaining('EventBridge bus dashscope-fc: up to date\n') });
  });

  it('stops at a refused call with one line naming the step, without the secret, exit 1', async () => {
    const r = await setup([], { ...withStandins(), ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong-setup-secret-0002' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^EventBridge bus dashscope-fc: plan failed: GetEventBus failed \(auth SignatureDoesNotMatch, request [\w-]+\)\n$/);
    expect(r.stderr).not.toContain('wrong-setup-secret-0002');
  });
});
