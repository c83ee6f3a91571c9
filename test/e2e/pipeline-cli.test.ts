// `npm run pipeline` as a user runs it: a process against a running local runtime (its own process, emulator and
// DATA_DIR), printing a progress line per step with the time spent, saving the three files, and exiting 1 with
// the failing step when a step fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRuntimeProcess, type RuntimeProcess } from './runtime-process.ts';

const repo = join(import.meta.dirname, '..', '..');
let runtime: RuntimeProcess;
let dir: string;
let url: string;
let emulatorUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-pipeline-cli-'));
  const [port, emulatorPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${port}`;
  emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  runtime = await startRuntimeProcess({ DATA_DIR: join(dir, 'data'), EMULATOR_PORT: String(emulatorPort), EMULATOR_TIME_SCALE: '50', LOCAL_TIMER_INTERVAL_MS: '200', LOG_LEVEL: 'warn' }, port, 60_000);
}, 90_000);

afterAll(async () => {
  await runtime?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DASHSCOPE_FC_URL: url };
    delete env.DASHSCOPE_FC_KEY;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/pipeline.ts', ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run pipeline', () => {
  it('shows each step progressing with its time and saves article.md, illustration.png and narration.wav', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['The life of bees', '--out', out, '--style', 'conversational']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pipeline pipe_[0-9a-f]{32} on http:\/\/127\.0\.0\.1:\d+\n/);
    for (const step of ['article', 'illustration-prompt', 'illustration', 'narration']) {
      // a line when the step changed, with the time since the start, and its own time once it is done
      expect(r.stdout).toMatch(new RegExp(`^\\[\\s*\\d+\\.\\ds\\] . ${step}\\s+COMPLETED\\s+\\d+\\.\\ds`, 'm'));
    }
    expect(r.stdout).toMatch(/^\[\s*\d+\.\ds\] \S+ (illustration|narration)\s+RUNNING .*task_[0-9a-f]{32}/m);
    expect(r.stdout).toMatch(/\ndone in \d+\.\ds\n$/);
    expect(readdirSync(out).sort()).toEqual(['article.md', 'illustration.png', 'narration.wav']);
    expect(readFileSync(join(out, 'article.md'), 'utf8')).toMatch(/^# .+\n\n/);
    expect(readFileSync(join(out, 'illustration.png')).subarray(1, 4).toString('ascii')).toBe('PNG');
    const wav = readFileSync(join(out, 'narration.wav'));
    expect(wav.toString('ascii', 0, 4) + wav.toString('ascii', 8, 12)).toBe('RIFFWAVE');
  }, 120_000);

  it('exits 1 naming the failing step and its reason, and saves nothing', async () => {
    const fault = await fetch(`${emulatorUrl}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { path: '/api/v1/services/aigc/text2image' }, times: 1, fault: { kind: 'task-fail', code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' } }),
    });
    expect(fault.status).toBeLessThan(300);
    const out = join(dir, 'failed');
    const r = await runCli(['Volcanoes', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pipeline pipe_[0-9a-f]{32} failed at step illustration: DataInspectionFailed: Input data may contain inappropriate content\.\n$/);
    expect(r.stdout).toMatch(/✖ illustration\s+FAILED/);
    expect(() => readdirSync(out)).toThrow();
  }, 120_000);

  it('answers a wrong command line with usage and exit 2, and an unreachable instance with exit 1', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: npm run pipeline -- "topic"');
    const bad = await runCli(['tea', '--language', 'klingon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/POST \/v1\/pipelines answered 400: language: unknown language 'klingon'.*\(invalid_language\)/);
    const gone = await runCli(['tea', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ .*is the instance running/);
  }, 60_000);
});
