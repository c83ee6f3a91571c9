// The pipeline command's own rules, with the instance faked at fetch: its command line, the progress block it
// redraws on a terminal, and what it refuses to save.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs, runPipelineCli, type CliIo } from './pipeline-cli.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const steps = (statuses: string[]) => ['article', 'illustration-prompt', 'illustration', 'narration'].map((name, i) => ({ name, status: statuses[i]! }));
const view = (status: string, statuses: string[], outputs: unknown[] = []) => ({ id: 'pipe_1', status, steps: steps(statuses), outputs, error: null });

function fakeIo(answers: unknown[], files: Record<string, Buffer> = {}): { io: CliIo; out: string[]; err: string[]; sent: { method: string; url: string; auth: string | null }[] } {
  const out: string[] = [];
  const err: string[] = [];
  const sent: { method: string; url: string; auth: string | null }[] = [];
  let t = 0;
  const cwd = mkdtempSync(join(tmpdir(), 'pipeline-cli-'));
  dirs.push(cwd);
  const io: CliIo = {
    fetch: (async (url: string, init?: RequestInit) => {
      if (files[url]) return new Response(files[url]);
      sent.push({ method: init?.method ?? 'GET', url, auth: new Headers(init?.headers).get('authorization') });
      return new Response(JSON.stringify(answers.shift()), { status: 200 });
    }) as typeof fetch,
    out: (s) => out.push(s),
    err: (l) => err.push(l),
    tty: true,
    now: () => (t += 500),
    sleep: async () => {},
    cwd,
    key: 'client-key-for-tests-0000',
  };
  return { io, out, err, sent };
}

describe('npm run pipeline', () => {
  it('reads the topic, options and the instance from the command line and the environment', () => {
    expect(parseArgs(['tea', '--out=x', '--style', 'playful'], { PORT: '9100' })).toEqual({ topic: 'tea', out: 'x', style: 'playful', url: 'http://127.0.0.1:9100', timeoutS: 900 });
    expect(parseArgs(['tea'], { DASHSCOPE_FC_URL: 'https://fc.example.com/' }).url).toBe('https://fc.example.com');
    expect(() => parseArgs([], {})).toThrow('give the topic');
    expect(() => parseArgs(['a', 'b'], {})).toThrow('give one topic');
    expect(() => parseArgs(['a', '--out'], {})).toThrow('--out needs a value');
    expect(() => parseArgs(['a', '--verbose'], {})).toThrow('unknown option --verbose');
    expect(() => parseArgs(['a', '--url', 'ftp://x'], {})).toThrow('--url');
  });

  it('redraws one line per step in place on a terminal, with a spinner on running steps, and sends the key', async () => {
    const { io, out, sent } = fakeIo([view('QUEUED', ['PENDING', 'PENDING', 'PENDING', 'PENDING']), view('RUNNING', ['RUNNING', 'PENDING', 'PENDING', 'PENDING']), view('FAILED', ['COMPLETED', 'COMPLETED', 'FAILED', 'RUNNING'])]);
    const code = await runPipelineCli(['tea'], {}, io);
    expect(code).toBe(1);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual(['POST http://127.0.0.1:9000/v1/pipelines', 'GET http://127.0.0.1:9000/v1/pipelines/pipe_1', 'GET http://127.0.0.1:9000/v1/pipelines/pipe_1']);
    expect(sent.every((s) => s.auth === 'Bearer client-key-for-tests-0000')).toBe(true);
    const frames = out.slice(1);
    expect(frames).toHaveLength(3);
    // every frame after the first moves up over the previous block (4 steps and the elapsed line) and rewrites it
    expect(frames[1]!.startsWith('\x1b[5A')).toBe(true);
    expect(frames[1]).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] article\s+RUNNING/);
    expect(frames[2]).toMatch(/✔ article\s+COMPLETED\s+\d+\.\ds/);
    expect(frames[2]).toMatch(/✖ illustration\s+FAILED/);
    expect(frames[2]).toMatch(/elapsed \d+\.\ds\n$/);
  });

  it('refuses a download whose sha256 is not the one announced, and says which file', async () => {
    const outputs = [{ name: 'article', key: 'pipelines/pipe_1/article.md', url: 'http://files/a', bytes: 5, sha256: '0'.repeat(64) }];
    const { io, err } = fakeIo([view('COMPLETED', ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED'], outputs)], { 'http://files/a': Buffer.from('hello') });
    expect(await runPipelineCli(['tea', '--out', 'files'], {}, io)).toBe(1);
    expect(err.join('\n')).toMatch(/article: downloaded 5 bytes with sha256 2cf24dba5fb0…, expected 5 bytes, 000000000000…/);
    expect(readdirSync(join(io.cwd, 'files'))).toEqual([]);
  });
});
