// The task API when DashScope refuses the service's own key or account: the caller is told it is the
// service's DashScope key (upstream_auth_failed) or account (upstream_quota_exceeded), never its own key,
// with DashScope's code in the message and the FAILED task at the Location given.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { createHttpHandler } from '../../functions/submit-task/index.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLocalDeps, type LocalDeps } from '../../shared/deps/local-deps.ts';
import { silentLogger } from '../../shared/log/logger.ts';

interface Stack {
  base: string;
  deps: LocalDeps;
  server: Server;
  dir: string;
}

let emu: Emulator;
const stacks: Stack[] = [];

/** submit-task over local deps whose DashScope client points at the emulator with `key` (none: no key). */
async function stackWith(key: string | undefined, retries = 0): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-account-'));
  const config = loadConfig({
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    RUNTIME_MODE: 'local',
    DASHSCOPE_BASE_URL: emu.url,
    DASHSCOPE_MAX_RETRIES: String(retries),
    ...(key ? { DASHSCOPE_API_KEY: key } : {}),
  });
  const deps = createLocalDeps(config, { logger: silentLogger });
  const server = createServer(createHttpHandler(deps));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s = { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deps, server, dir };
  stacks.push(s);
  return s;
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, rateLimits: { '*': { rpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity } }, taskQueryQps: Infinity });
});
afterAll(async () => {
  for (const s of stacks) {
    await new Promise((r) => s.server.close(r));
    await s.deps.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
  await emu.close();
});
beforeEach(() => emu.faults.clear());

interface ErrorBody {
  status?: string;
  error?: { code: string; message: string; type: string; request_id: string };
  id?: string;
}
async function call(s: Stack, method: string, path: string, body?: unknown) {
  const res = await fetch(s.base + path, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, location: res.headers.get('location'), json: (await res.json()) as ErrorBody };
}

const t2i = { type: 'text-to-image', input: { prompt: 'a red fox' }, parameters: { n: 1 } };
const CREATE_PATH = '/api/v1/services/aigc/';

describe('task API, the service’s DashScope key or account refused', () => {
  it('answers 502 upstream_auth_failed, naming the service key and InvalidApiKey, when DASHSCOPE_API_KEY is wrong', async () => {
    const s = await stackWith('sk-not-the-emulators-key');
    const r = await call(s, 'POST', '/v1/tasks', t2i);
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: 'upstream_auth_failed', type: 'api_error' });
    expect(r.json.error!.message).toContain('InvalidApiKey');
    expect(r.json.error!.message).toContain('DASHSCOPE_API_KEY');
    expect(r.json.error!.message).toContain('not your API key');
    const task = await call(s, 'GET', r.location!);
    expect(task.json).toMatchObject({ status: 'FAILED', error: { code: 'InvalidApiKey' } });
  });

  it('answers 502 upstream_auth_failed at once, without a create, when no DashScope key is configured', async () => {
    const s = await stackWith(undefined);
    const before = emu.requests.length;
    const r = await call(s, 'POST', '/v1/tasks', t2i);
    expect(r.status).toBe(502);
    expect(r.json.error?.code).toBe('upstream_auth_failed');
    expect(r.json.error!.message).toContain('missing_api_key');
    expect((await call(s, 'GET', r.location!)).json.status).toBe('FAILED');
    expect(emu.requests.length).toBe(before);
  });

  it('answers 502 upstream_quota_exceeded with Arrearage when the account is in arrears', async () => {
    const s = await stackWith(emu.apiKey);
    emu.faults.add({ match: { path: CREATE_PATH }, times: 1, fault: { kind: 'status', status: 400, code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' } });
    const r = await call(s, 'POST', '/v1/tasks', t2i);
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: 'upstream_quota_exceeded', type: 'api_error' });
    expect(r.json.error!.message).toContain('Arrearage');
    expect(r.json.error!.message).toContain('not your API key');
  });

  it('answers 502 upstream_auth_failed for a 403 AccessDenied.Unpurchased (model not enabled on the account)', async () => {
    const s = await stackWith(emu.apiKey);
    emu.faults.add({ match: { path: CREATE_PATH }, times: 1, fault: { kind: 'status', status: 403, code: 'AccessDenied.Unpurchased', message: 'Access to model denied.' } });
    const r = await call(s, 'POST', '/v1/tasks', t2i);
    expect(r.status).toBe(502);
    expect(r.json.error?.code).toBe('upstream_auth_failed');
    expect(r.json.error!.message).toContain('AccessDenied.Unpurchased');
  });

  it.each([
    [401, 'InvalidApiKey', 'upstream_auth_failed'],
    [400, 'Arrearage', 'upstream_quota_exceeded'],
  ])('answers a DELETE refused upstream with %i %s as 502 %s and keeps the task PENDING', async (status, code, publicCode) => {
    const s = await stackWith(emu.apiKey);
    const created = await call(s, 'POST', '/v1/tasks', t2i);
    expect(created.json.status).toBe('PENDING');
    emu.faults.add({ match: { path: '/api/v1/tasks/', method: 'POST' }, times: 1, fault: { kind: 'status', status, code, message: 'refused' } });
    const r = await call(s, 'DELETE', `/v1/tasks/${created.json.id}`);
    expect(r.status).toBe(502);
    expect(r.json.error?.code).toBe(publicCode);
    expect(r.json.error!.message).toContain(code);
    expect((await call(s, 'GET', `/v1/tasks/${created.json.id}`)).json.status).toBe('PENDING');
  });
});

describe('task creates: arrears and quota are not retried, throttling is', () => {
  const creates = (from: number) => emu.requests.slice(from).filter((r) => r.path.startsWith(CREATE_PATH)).map((r) => r.status);

  it.each([
    [400, 'Arrearage'],
    [403, 'AllocationQuota.FreeTierOnly'],
    [429, 'Arrearage'],
  ])('fails the task at once on %i %s, after one create, with retries configured', async (status, code) => {
    const s = await stackWith(emu.apiKey, 2);
    const before = emu.requests.length;
    emu.faults.add({ match: { path: CREATE_PATH }, times: 3, fault: { kind: 'status', status, code, message: 'account problem' } });
    const r = await call(s, 'POST', '/v1/tasks', t2i);
    expect(r.status).toBe(502);
    expect(r.json.error?.code).toBe('upstream_quota_exceeded');
    expect(creates(before)).toEqual([status]);
    expect((await call(s, 'GET', r.location!)).json).toMatchObject({ status: 'FAILED', error: { code } });
  });

  it('retries a create throttled with 429 Throttling.AllocationQuota and keeps the task QUEUED when the retries are spent', async () => {
    const s = await stackWith(emu.apiKey, 2);
    const before = emu.requests.length;
    emu.faults.add({ match: { path: CREATE_PATH }, times: 3, fault: { kind: 'status', status: 429, code: 'Throttling.AllocationQuota', message: 'Allocated quota exceeded' } });
    const r = await call(s, 'POST', '/v1/tasks', t2i);
    expect(creates(before)).toEqual([429, 429, 429]);
    // accepted: poll-task sends the create again later
    expect(r.status).toBe(202);
    expect(r.json.status).toBe('QUEUED');
    expect((await call(s, 'GET', `/v1/tasks/${r.json.id}`)).json.status).toBe('QUEUED');
  });
});
