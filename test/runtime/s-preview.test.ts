// Serverless Devs' own reading of s.yaml (`s preview -o json`, offline) against the local runtime's: the props
// each component would be handed are the ones test/runtime/s-yaml.test.ts checks and npm start serves.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSYaml } from '../../dev/runtime/s-yaml.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const home = mkdtempSync(join(tmpdir(), 's-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** What a deployer might export: every ${env(…)} of s.yaml is read from here. */
const DEPLOYER = { FC_REGION: 'cn-shanghai', OSS_BUCKET: 'acme-media', OTS_INSTANCE: 'acme-ots', CORS_ALLOWED_ORIGINS: 'https://app.acme.com', OSS_INTERNAL: 'false' };

function preview(env: Record<string, string>): { resources: Record<string, { component: string; props: unknown }> } {
  // s writes its state under $HOME/.s; a temporary home keeps the machine's untouched
  const out = execFileSync(join(ROOT, 'node_modules', '.bin', 's'), ['preview', '-t', 's.yaml', '-o', 'json'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  // it may print a warning line (e.g. about running as root) before the document
  const text = out.toString();
  return JSON.parse(text.slice(text.search(/^\{/m))) as { resources: Record<string, { component: string; props: unknown }> };
}

describe('s preview', () => {
  it('renders every function exactly as the local runtime resolves s.yaml, for the deployer’s variables', () => {
    const theirs = preview(DEPLOYER).resources;
    const ours = resolveSYaml(join(ROOT, 's.yaml'), DEPLOYER).resources;
    expect(Object.keys(theirs)).toEqual(Object.keys(ours));
    for (const [name, r] of Object.entries(ours)) expect([name, theirs[name]]).toEqual([name, r]);
    expect(theirs['persist-to-oss']!.props).toMatchObject({ region: 'cn-shanghai', environmentVariables: { OSS_BUCKET: 'acme-media', OSS_INTERNAL: 'false' } });
  }, 120_000);
});
