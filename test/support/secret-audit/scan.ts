// The secret audit's scan: reads what capture.mjs recorded in every process of a run and finds client keys,
// DashScope-style keys and the run's known secrets in it, each reported with its place and masked context.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A client key as issued: `dsfc_` and 40 of [A-Za-z0-9]. */
const CLIENT_KEY = '(?<![A-Za-z0-9])dsfc_[A-Za-z0-9]{40}';
/** A DashScope key: `sk-` and 20 or more of [A-Za-z0-9] (not the tail of a word such as `task-…`). */
const DASHSCOPE_KEY = '(?<![A-Za-z0-9])sk-[A-Za-z0-9]{20,}';
/** Text on each side of a finding. */
const CONTEXT = 40;

/** One line of an audit file, as capture.mjs writes it. */
export interface AuditRecord {
  kind: 'process' | 'secret' | 'stdout' | 'stderr' | 'log' | 'http' | 'event' | 'console';
  text: string;
  argv?: string;
  status?: number;
  request?: string;
  to?: string;
  /** The test file a vitest worker was running. */
  test?: string;
}

/** A secret a process prints on purpose (test-secrets.ts): not a finding there, a finding anywhere else. */
export interface Allowance {
  /** The exact secret, or a pattern every allowed secret matches whole (e.g. the keys a command makes). */
  secret: string | RegExp;
  process: RegExp;
  where: string;
}

export interface Finding {
  /** The audit file (its name is the pid) and the process's command line. */
  file: string;
  process: string;
  /** stdout, stderr, http 401 POST /v1/…, event to events.jsonl… */
  where: string;
  /** The test file that was running, when the process is a vitest worker. */
  test?: string;
  rule: 'client key' | 'DashScope key' | 'known secret';
  /** Up to 40 characters each side, the secret itself masked. */
  context: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** One expression for every pattern and secret, longest secrets first so that a longer one wins. */
export function secretMatcher(secrets: Iterable<string>): RegExp {
  const literals = [...new Set(secrets)].sort((a, b) => b.length - a.length).map(escape);
  return new RegExp([CLIENT_KEY, DASHSCOPE_KEY, ...literals].join('|'), 'g');
}

/** The first four and the last two characters, the middle starred: enough to tell which secret, never the secret. */
export function mask(secret: string): string {
  if (secret.length <= 8) return '*'.repeat(secret.length);
  return `${secret.slice(0, 4)}${'*'.repeat(Math.min(secret.length - 6, 12))}${secret.slice(-2)}`;
}

function ruleOf(found: string): Finding['rule'] {
  if (new RegExp(`^${CLIENT_KEY}$`).test(found)) return 'client key';
  if (new RegExp(`^${DASHSCOPE_KEY}$`).test(found)) return 'DashScope key';
  return 'known secret';
}

/** Every secret in `text` but those in `allowed`, with its context; any other secret in the context is masked too. */
export function findSecrets(text: string, matcher: RegExp, allowed: (found: string) => boolean = () => false): { rule: Finding['rule']; context: string }[] {
  const found: { rule: Finding['rule']; context: string }[] = [];
  matcher.lastIndex = 0;
  for (let m = matcher.exec(text); m !== null; m = matcher.exec(text)) {
    if (allowed(m[0])) continue;
    const start = Math.max(0, m.index - CONTEXT);
    const end = Math.min(text.length, m.index + m[0].length + CONTEXT);
    const context = text.slice(start, end).replace(matcher, mask).replace(/\s+/g, ' ');
    found.push({ rule: ruleOf(m[0]), context });
    matcher.lastIndex = m.index + m[0].length;
  }
  matcher.lastIndex = 0;
  return found;
}

const whereOf = (r: AuditRecord): string =>
  r.kind === 'http' ? `http ${r.status} answer to ${r.request}` : r.kind === 'event' ? `event to ${r.to}` : r.kind === 'log' ? 'log line kept in memory or below its level' : r.kind;

function readRecords(file: string): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as AuditRecord);
    } catch {
      // a line cut by a process killed mid-write: its text is still scanned
      records.push({ kind: 'stdout', text: line });
    }
  }
  return records;
}

/**
 * Scans every audit file of `dir` for the patterns, `secrets` and the secrets the processes recorded
 * themselves (their secret variables, the Bearer keys their servers received).
 */
export function scanAuditDir(dir: string, secrets: Iterable<string>, allowances: readonly Allowance[] = []): { findings: Finding[]; files: number; bytes: number } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return { findings: [], files: 0, bytes: 0 };
  }
  const files = names.map((name) => ({ name, records: readRecords(join(dir, name)) }));
  const known = new Set(secrets);
  for (const f of files) for (const r of f.records) if (r.kind === 'secret') known.add(r.text);
  const matcher = secretMatcher(known);
  const findings: Finding[] = [];
  let bytes = 0;
  for (const { name, records } of files) {
    const process = records.find((r) => r.kind === 'process')?.argv ?? '';
    const here = allowances.filter((a) => a.process.test(process));
    // a command line can carry a secret too: the report shows it masked
    const shown = process.replace(matcher, mask);
    for (const r of records) {
      if (r.kind === 'process' || r.kind === 'secret') continue;
      bytes += r.text.length;
      const where = whereOf(r);
      const rules = here.filter((a) => a.where === where).map((a) => a.secret);
      const allowed = (found: string) => rules.some((rule) => (typeof rule === 'string' ? rule === found : new RegExp(`^(?:${rule.source})$`).test(found)));
      for (const hit of findSecrets(r.text, matcher, allowed)) findings.push({ file: name, process: shown, where, ...(r.test ? { test: r.test } : {}), ...hit });
    }
  }
  return { findings, files: files.length, bytes };
}

/** The report printed when the audit fails: the first findings whole, then how many more. */
export function formatFindings(findings: readonly Finding[], dir: string, shown = 20): string {
  const lines = [`secret audit: ${findings.length} secret(s) in logs, error bodies or events (records in ${dir})`];
  for (const f of findings.slice(0, shown)) {
    lines.push(`  ${f.rule} in ${f.where} of ${f.file} (${f.process}${f.test ? `, running ${f.test}` : ''}):`, `    …${f.context}…`);
  }
  if (findings.length > shown) lines.push(`  … and ${findings.length - shown} more`);
  return lines.join('\n');
}
