// The Node.js that Function Compute runs the bundles on, from the layer s.yaml names, and that exact Node here:
// npm's registry ships Node binaries as packages (node-<platform>-<arch>@<version>), cached under node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionSpec } from './s-yaml.ts';

export interface FcNodeLayer {
  /** What `node --version` prints in the layer, without the v. */
  version: string;
  /** Where the layer puts node (it is not on PATH: the command must name it). */
  bin: string;
  /** The custom runtimes the layer is published for. */
  runtimes: readonly string[];
}

/**
 * Alibaba's official Node.js layers, by the end of their ARN (`acs:fc:<region>:official:layers/<this>`), with
 * the Node version each carries (awesome-fc/awesome-layers docs/Nodejs20, docs/Nodejs22). Nodejs20 v3 carries
 * 20.11.0, older than undici 7 supports (20.18.1): listed so the check can name it, never used.
 */
export const FC_NODE_LAYERS: Readonly<Record<string, FcNodeLayer>> = {
  'Nodejs22/versions/2': { version: '22.14.0', bin: '/opt/nodejs22/bin/node', runtimes: ['custom.debian11', 'custom.debian12'] },
  'Nodejs20/versions/3': { version: '20.11.0', bin: '/opt/nodejs20/bin/node', runtimes: ['custom.debian10', 'custom.debian11', 'custom.debian12'] },
};

/** The official Node layer a function uses, or undefined (a layer not in the table, or none). */
export function nodeLayerOf(layers: readonly string[]): { id: string; layer: FcNodeLayer } | undefined {
  for (const arn of layers) {
    const m = /^acs:fc:[a-z0-9-]+:official:layers\/(.+)$/.exec(arn);
    const layer = m ? FC_NODE_LAYERS[m[1]!] : undefined;
    if (layer) return { id: m![1]!, layer };
  }
  return undefined;
}

/** The Node version the functions of s.yaml run on in the cloud (all must agree), or undefined if none says. */
export function fcNodeVersion(specs: readonly FunctionSpec[]): string | undefined {
  const versions = new Set(specs.map((s) => nodeLayerOf(s.layers)?.layer.version).filter((v): v is string => v !== undefined));
  if (versions.size > 1) throw new Error(`the functions of s.yaml use different Node layers (${[...versions].join(', ')}); use one`);
  return [...versions][0];
}

const CACHE = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'fc-node');

/**
 * The path of a Node binary of exactly `version` for this machine, fetched once from the npm registry with
 * `npm pack` into node_modules/.cache/fc-node/<version>/. Throws with the reason when it cannot.
 */
export function ensureNodeBinary(version: string, cacheDir: string = CACHE): string {
  const dir = join(cacheDir, version);
  const bin = join(dir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(bin)) return bin;
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}@${version}`;
  const tmp = join(cacheDir, `.${version}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync('npm', ['pack', pkg, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${pkg} produced no archive`);
    execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), dir);
  } catch (e) {
    throw new Error(`cannot fetch Node ${version} (${pkg}) from the npm registry: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!existsSync(bin)) throw new Error(`${pkg} has no ${bin}`);
  return bin;
}
