import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OTHER_TEST_CLIENT_KEY, secretsInSources, TEST_CLIENT_KEY, TEST_DASHSCOPE_KEY, TEST_SECRETS } from '../test-secrets.ts';
import { findSecrets, formatFindings, mask, scanAuditDir, secretMatcher } from './scan.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const audit = (files: Record<string, object[]>): string => {
  dir = mkdtempSync(join(tmpdir(), 'secret-audit-'));
  for (const [name, records] of Object.entries(files)) writeFileSync(join(dir, name), records.map((r) => JSON.stringify(r) + '\n').join(''));
  return dir;
};

describe('the secret scan', () => {
  it('finds client keys and DashScope keys by their pattern, and not the tail of a word such as task-…', () => {
    const matcher = secretMatcher([]);
    expect(findSecrets(`{"msg":"auth","key":"${OTHER_TEST_CLIENT_KEY}"}`, matcher).map((f) => f.rule)).toEqual(['client key']);
    expect(findSecrets(`Bearer ${TEST_DASHSCOPE_KEY}`, matcher).map((f) => f.rule)).toEqual(['DashScope key']);
    expect(findSecrets('task-0123456789abcdefghijklmnop dsfc_short sk-short', matcher)).toEqual([]);
  });

  it('finds each known secret, and shows at most 40 characters each side with every secret in them masked', () => {
    const secret = 'rehearsal-secret-0123456789';
    const text = `${'a'.repeat(100)} secret=${secret} and ${TEST_CLIENT_KEY} ${'b'.repeat(100)}`;
    const found = findSecrets(text, secretMatcher([secret]));
    expect(found.map((f) => f.rule)).toEqual(['known secret', 'client key']);
    for (const f of found) {
      expect(f.context).not.toContain(secret);
      expect(f.context).not.toContain(TEST_CLIENT_KEY);
      expect(f.context.length).toBeLessThanOrEqual(40 + Math.max(secret.length, TEST_CLIENT_KEY.length) + 40);
    }
    expect(found[0]!.context).toContain(`secret=${mask(secret)}`);
    expect(mask(secret)).toBe('rehe************89');
    expect(mask('short')).toBe('*****');
  });

  it('scans stdout, error bodies and events of every process, with the secrets the processes recorded themselves', () => {
    const received = 'a-wrong-key-sent-by-a-test';
    const d = audit({
      '101.jsonl': [
        { kind: 'process', argv: 'dev/start.ts', text: '' },
        { kind: 'secret', text: received },
        { kind: 'stdout', text: '{"level":"info","msg":"request","tenant":"key-1"}\n' },
        { kind: 'http', status: 401, request: 'POST /v1/chat/completions', text: `{"error":{"message":"key ${received} is not valid"}}` },
      ],
      '102.jsonl': [
        { kind: 'process', argv: 'dist/poll-task/server.mjs', text: '' },
        { kind: 'event', to: 'eventbridge', text: `[{"data":{"metadata":{"note":"${TEST_DASHSCOPE_KEY}"}}}]` },
      ],
    });
    const { findings, files } = scanAuditDir(d, []);
    expect(files).toBe(2);
    expect(findings.map((f) => [f.file, f.where, f.rule])).toEqual([
      ['101.jsonl', 'http 401 answer to POST /v1/chat/completions', 'known secret'],
      ['102.jsonl', 'event to eventbridge', 'DashScope key'],
    ]);
    const report = formatFindings(findings, d);
    expect(report).toContain('2 secret(s)');
    expect(report).toContain('dev/start.ts');
    expect(report).not.toContain(received);
    expect(report).not.toContain(TEST_DASHSCOPE_KEY);
  });

  it('lets a secret printed on purpose through only in the process and the output it is allowed in', () => {
    const secret = 'operator-secret-0001';
    const line = `ops    ALIBABA_CLOUD_ACCESS_KEY_SECRET=${secret} npm run ops -- poll\n`;
    const d = audit({
      '1.jsonl': [{ kind: 'process', argv: '/repo/dev/cloud/start-cloud.ts', text: '' }, { kind: 'stdout', text: line }, { kind: 'http', status: 500, request: 'GET /', text: secret }],
      '2.jsonl': [{ kind: 'process', argv: '/repo/dev/start.ts', text: '' }, { kind: 'stdout', text: line }],
    });
    const { findings } = scanAuditDir(d, [secret], [{ secret, process: /dev\/cloud\/start-cloud\.ts$/, where: 'stdout' }]);
    expect(findings.map((f) => [f.file, f.where])).toEqual([['1.jsonl', 'http 500 answer to GET /'], ['2.jsonl', 'stdout']]);
  });

  it('lets keys of a pattern through where a command prints the key it made, and nowhere else', () => {
    const made = TEST_CLIENT_KEY;
    const d = audit({
      '3.jsonl': [{ kind: 'process', argv: '/repo/scripts/keys.ts create --name acme --json', text: '' }, { kind: 'stdout', text: `{"key":"${made}"}\n` }, { kind: 'stderr', text: made }],
      '4.jsonl': [{ kind: 'process', argv: '/repo/scripts/keys.ts list', text: '' }, { kind: 'stdout', text: made }],
    });
    const { findings } = scanAuditDir(d, [], [{ secret: /dsfc_[A-Za-z0-9]{40}/, process: /scripts\/keys\.ts create\b/, where: 'stdout' }]);
    expect(findings.map((f) => [f.file, f.where])).toEqual([['3.jsonl', 'stderr'], ['4.jsonl', 'stdout']]);
  });

  it('knows the secrets the stand-ins own and those written as literals in test code, and no short or redacted value', () => {
    const inSources = secretsInSources(join(import.meta.dirname, '..', '..', '..'));
    // the stand-ins' own (also in the registry), and literals left in tests: a wrong secret, a DashScope key
    expect(inSources).toEqual(expect.arrayContaining(['standin-secret-0123456789', 'wrong-secret-value-0001', 'sk-not-the-key']));
    expect(TEST_SECRETS).toContain('standin-secret-0123456789');
    expect(inSources.filter((s) => s.length < 8 || s === '[redacted]')).toEqual([]);
  });

  it('finds nothing in a run without secrets, and nothing in a folder that does not exist', () => {
    const d = audit({ '7.jsonl': [{ kind: 'stdout', text: 'DashScope emulator listening on http://127.0.0.1:1234\n' }] });
    expect(scanAuditDir(d, [TEST_CLIENT_KEY]).findings).toEqual([]);
    expect(scanAuditDir(join(d, 'absent'), []).files).toBe(0);
  });
});
