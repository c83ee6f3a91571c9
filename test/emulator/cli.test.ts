// `npm run emulator` (dev/emulator/main.ts): reads EMULATOR_PORT through the config schema, says where it
// listens, serves, and exits 0 on Ctrl-C.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('emulator CLI', () => {
  it('prints its URL, answers on it, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/emulator/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, EMULATOR_PORT: '0', EMULATOR_FAULTS: 'latency=1', DASHSCOPE_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    try {
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const res = await fetch(`${url}/api/v1/tasks/abc`, { headers: { authorization: 'Bearer sk-emulator-local' } });
    expect(res.status).toBe(200);
    expect(out).toContain('run-wide faults: latency=1');
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
