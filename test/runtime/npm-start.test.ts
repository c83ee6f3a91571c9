// `npm start` for real, as a developer runs it: a child process with no DashScope key starts the emulator,
// says so and where, serves /healthz on PORT, and exits 0 on SIGINT.
// npm runs the script through a shell and forwards SIGINT to it. dash (Debian's sh) neither passes the signal
// on nor execs the command, so the script shell here is bash, which execs `tsx dev/start.ts`: the signal then
// reaches the runtime and npm reports the runtime's own exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../e2e/runtime-process.ts';

const repo = join(import.meta.dirname, '..', '..');

function waitForOutput(child: ChildProcess, read: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = pattern.exec(read());
      if (m) done(() => resolve(m));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`npm start exited (${code}) before printing ${pattern}:\n${read()}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${read()}`))), timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      fn();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts the emulator without a key, serves /healthz on PORT and exits 0 on SIGINT', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_script_shell: existsSync('/bin/bash') ? '/bin/bash' : '', PORT: String(port), DATA_DIR: dataDir, EMULATOR_PORT: '0', LOG_LEVEL: 'warn', LOCAL_TIMER_INTERVAL_MS: '500' };
    for (const k of ['DASHSCOPE_API_KEY', 'DASHSCOPE_BASE_URL', 'RUNTIME_MODE', 'FC_FUNCTION_NAME', 'PUBLIC_BASE_URL']) delete env[k];
    child = spawn('npm', ['start'], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

    await waitForOutput(child, () => out, new RegExp(`HTTP on http://127\\.0\\.0\\.1:${port}\\b`), 40_000);
    const emulator = /DashScope emulator started at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    expect(emulator, out).not.toBeNull();

    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const health = (await res.json()) as { ok: boolean; mode: string; functions: string[]; dashscope: { target: string; baseUrl: string } };
    expect(health).toMatchObject({ ok: true, mode: 'local', dashscope: { target: 'emulator', baseUrl: emulator![1] } });
    expect(health.functions).toEqual(['chat-stream', 'submit-task', 'poll-task', 'persist-to-oss']);

    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    expect(out).toContain('SIGINT received, shutting down');
    expect(out).toContain('local runtime stopped');
  });
});
