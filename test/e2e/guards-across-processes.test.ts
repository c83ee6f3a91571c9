// Guards hold across instances: four separate processes of the local runtime on one DATA_DIR (one SQLite store)
// and one DashScope emulator take 400 concurrent chat requests. A tenant's RPM is never exceeded, the global
// budget is never overshot by more than one request's estimate, each budget alert fires once, and the ledger
// equals what the emulator reports it billed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireModel } from '../../shared/catalog/catalog.ts';
import { chatCost, usdToMicros } from '../../shared/catalog/pricing.ts';
import { freePort, startRuntimeProcess, type RuntimeProcess } from './runtime-process.ts';

const repo = join(import.meta.dirname, '..', '..');
const MODEL = 'qwen-plus';
const RPM = 30;
const BUDGET_USD = 0.002;
const CNY_PER_USD = 7.2;
const dataDir = mkdtempSync(join(tmpdir(), 'guards-e2e-'));
const procs: RuntimeProcess[] = [];
let emulator: ChildProcess | undefined;

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  if (emulator?.pid) process.kill(-emulator.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startEmulator(port: number): Promise<string> {
  const env = { ...process.env, EMULATOR_PORT: String(port), EMULATOR_STATE_DIR: join(dataDir, 'emulator') };
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/emulator/main.ts'], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  emulator = child;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const end = Date.now() + 30_000;
  while (!/listening on (http:\/\/\S+)/.test(out)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`the emulator did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return /listening on (http:\/\/\S+)/.exec(out)![1]!;
}

/** `npm run keys -- create …` against the shared DATA_DIR; returns the key it printed once. */
function createKey(...args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', 'create', ...args, '--json'], { cwd: repo, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim()) as { key: string }).key;
}

interface Answer {
  tenant: string;
  status: number;
  retryAfter: string | null;
  code?: string;
  at: number;
}

describe('guards across four runtime processes on one store', () => {
  it('holds the RPM limit, the budget and its alerts, and bills exactly what DashScope reported', { timeout: 240_000 }, async () => {
    const emuUrl = await startEmulator(await freePort());
    const rated = createKey('--name', 'rated', '--rpm', String(RPM));
    const spender = createKey('--name', 'spender');
    const env = {
      DATA_DIR: dataDir,
      DASHSCOPE_API_KEY: 'sk-emulator-local',
      DASHSCOPE_BASE_URL: emuUrl,
      BUDGET_DAILY_USD: String(BUDGET_USD),
      CNY_PER_USD: String(CNY_PER_USD),
      LOG_LEVEL: 'warn',
      LOCAL_TIMER_INTERVAL_MS: '60000',
    };
    const ports = await Promise.all([0, 1, 2, 3].map(() => freePort()));
    procs.push(...(await Promise.all(ports.map((port) => startRuntimeProcess(env, port, 90_000)))));

    // the burst stays inside one calendar minute (the RPM window): start early in a minute
    const second = new Date().getUTCSeconds();
    if (second > 30) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const minute = Math.floor(Date.now() / 60_000);

    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello to the guards.' }], max_tokens: 40 });
    const ask = async (i: number, tenant: 'rated' | 'spender'): Promise<Answer> => {
      const r = await fetch(`http://127.0.0.1:${ports[i % 4]}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant === 'rated' ? rated : spender}` },
        body,
      });
      const json = (await r.json()) as { error?: { code: string } };
      return { tenant, status: r.status, retryAfter: r.headers.get('retry-after'), at: Date.now(), ...(json.error ? { code: json.error.code } : {}) };
    };
    const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => ask(i, i % 2 ? 'rated' : 'spender')));
    expect(Math.floor(Date.now() / 60_000), 'the burst ran past its minute: the machine is too slow for this test').toBe(minute);

    // RPM: the rated tenant got at most RPM answers in the minute; the others were 429 with a Retry-After
    const ratedOk = answers.filter((a) => a.tenant === 'rated' && a.status === 200).length;
    expect(ratedOk).toBeGreaterThan(0);
    expect(ratedOk).toBeLessThanOrEqual(RPM);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) {
      expect(a.code).toBe('rate_limit_exceeded');
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);
    }
    expect(answers.every((a) => [200, 402, 429].includes(a.status))).toBe(true);

    // spend the rest of the budget one request at a time, until it is refused
    let refused: Answer | undefined;
    for (let i = 0; i < 1_000 && !refused; i++) {
      const a = await ask(i, 'spender');
      if (a.status === 402) refused = a;
      else expect(a.status).toBe(200);
    }
    expect(refused?.code).toBe('budget_exceeded');

    // the ledger equals what the emulator billed, request by request
    const requests = (await (await fetch(`${emuUrl}/_emulator/requests`)).json()) as { path: string; status: number | null; usage: Parameters<typeof chatCost>[1] | null }[];
    const billed = requests.filter((r) => r.path.endsWith('/chat/completions') && r.status === 200);
    const model = requireModel(MODEL, 'chat');
    const upstreamMicros = billed.reduce((sum, r) => sum + chatCost(model, r.usage!).micros, 0);
    const usage = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--group-by', 'tenant', '--json'], { cwd: repo, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
    expect(usage.status, usage.stderr).toBe(0);
    const report = JSON.parse(usage.stdout) as { total: { requests: number; cost_cny: number } };
    expect(report.total.requests).toBe(billed.length);
    expect(Math.round(report.total.cost_cny * 1e6)).toBe(upstreamMicros);

    // never over the budget by more than one request's estimate (the prompt counted a token per character)
    const limit = usdToMicros(BUDGET_USD, CNY_PER_USD);
    const estimate = chatCost(model, { prompt_tokens: body.length, completion_tokens: 40 }).micros;
    expect(upstreamMicros).toBeGreaterThanOrEqual(limit);
    expect(upstreamMicros).toBeLessThanOrEqual(limit + estimate);

    // 50, 80 and 100 %: each alert once, whichever process crossed it
    const events = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: { threshold: number; scope: string } });
    const alerts = events.filter((e) => e.type === 'budget.threshold');
    expect(alerts.map((e) => `${e.data.scope}:${e.data.threshold}`).sort()).toEqual(['global:100', 'global:50', 'global:80']);
  });
});
