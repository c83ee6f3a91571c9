// The secret audit around a whole vitest run: clears the audit folder before the first test, and after the last one
// scans what every process recorded (capture.mjs) and fails the run on any secret found.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PRINTED_ON_PURPOSE, secretsInSources, TEST_SECRETS } from '../test-secrets.ts';
import { formatFindings, scanAuditDir } from './scan.ts';

// every project of the run loads this file (they extend the root configuration): clear once, scan once
const run = globalThis as { secretAudit?: { cleared: boolean; scanned: boolean } };

export default function setup(project: TestProject): () => void {
  const dir = project.config.env.SECRET_AUDIT_DIR;
  run.secretAudit ??= { cleared: false, scanned: false };
  if (dir && !run.secretAudit.cleared) {
    run.secretAudit.cleared = true;
    rmSync(dir, { recursive: true, force: true });
    removeFinishedRuns(dirname(dir));
  }
  return () => {
    if (dir && !run.secretAudit!.scanned) {
      run.secretAudit!.scanned = true;
      scan(dir, project.config.root);
    }
  };
}

/** Folders of earlier runs whose process is gone (a run that found secrets leaves its folder to be read). */
function removeFinishedRuns(root: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
    if (!pid || alive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function scan(dir: string, root: string): void {
  const started = performance.now();
  const { findings, files, bytes } = scanAuditDir(dir, [...TEST_SECRETS, ...secretsInSources(root)], PRINTED_ON_PURPOSE);
  const took = Math.round(performance.now() - started);
  if (findings.length === 0) {
    process.stdout.write(`secret audit: no secret in ${files} processes' logs, error bodies and events (${(bytes / 1e6).toFixed(1)} MB, ${took} ms)\n`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const report = formatFindings(findings, dir);
  process.stderr.write(`\n${report}\n\n`);
  // a teardown's error is only logged by vitest: the exit code is set here so that `npm test` fails
  process.exitCode = 1;
  throw new Error(`secret audit: ${findings.length} secret(s) found; see the report above`);
}
