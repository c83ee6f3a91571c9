// The secret audit's part of the vitest configuration: where every process records (SECRET_AUDIT_DIR), the
// capture preloaded into every process (NODE_OPTIONS) and a recorder for what tests print through console.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Outside the checkout, one folder per checkout: what runs of its tests record, each run in its own folder. */
export function secretAuditRoot(root: string): string {
  return join(tmpdir(), `dashscope-fc-secret-audit-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
}

/** This run's folder, named after vitest's process, so that two runs at once never mix or clear each other's. */
export function secretAuditDir(root: string): string {
  return join(secretAuditRoot(root), `run-${process.pid}`);
}

/** The variables every test process gets (vitest passes them to its workers, which pass them on). */
export function secretAuditEnv(root: string): { SECRET_AUDIT_DIR: string; NODE_OPTIONS: string } {
  const capture = pathToFileURL(join(root, 'test/support/secret-audit/capture.mjs')).href;
  const inherited = process.env.NODE_OPTIONS ?? '';
  // a vitest started by a test (vitest list) inherits the option already
  const nodeOptions = inherited.includes(capture) ? inherited : `${inherited} --import=${capture}`.trim();
  return { SECRET_AUDIT_DIR: secretAuditDir(root), NODE_OPTIONS: nodeOptions };
}

/** vitest's onConsoleLog: what tests print through console reaches the main process only, recorded here. */
export function recordConsoleLog(root: string): (log: string) => void {
  const dir = secretAuditDir(root);
  const file = join(dir, `console-${process.pid}.jsonl`);
  let ready = false;
  return (log) => {
    if (!ready) {
      mkdirSync(dir, { recursive: true });
      appendFileSync(file, JSON.stringify({ kind: 'process', argv: 'console of the tests (vitest)', text: '' }) + '\n');
      ready = true;
    }
    appendFileSync(file, JSON.stringify({ kind: 'console', text: log }) + '\n');
  };
}
