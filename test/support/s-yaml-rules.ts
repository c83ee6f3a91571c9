// What an s.yaml must get right for a first `s deploy` of this project to work: each rule a defect found in
// an earlier s.yaml (a bare `node` command, a layer older than the engines, async retries left to defaults,
// wildcard OSS events, no cpu, no OPTIONS for browsers, an environment cloud mode refuses). Returns problems.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FC_NODE_LAYERS, nodeLayerOf } from '../../dev/runtime/fc-node.ts';
import type { ResolvedResource } from '../../dev/runtime/s-yaml.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { fc3FunctionPropsSchema, type Fc3FunctionProps } from './fc3-schema.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** OSS events after which the object exists; the only ones a trigger should list. */
export const OBJECT_EXISTS_EVENTS = ['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload', 'oss:ObjectCreated:CopyObject'];

/** Does `version` satisfy package.json's engines range (`>=a <b || >=c` forms)? */
export function satisfiesEngines(version: string, range: string): boolean {
  const num = (v: string) => v.replace(/^v/, '').split('.').map(Number) as [number, number, number];
  const cmp = (a: string, b: string) => {
    const [x, y] = [num(a), num(b)];
    for (let i = 0; i < 3; i++) if (x[i]! !== y[i]!) return x[i]! - y[i]!;
    return 0;
  };
  return range.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s+/)
      .every((c) => {
        const m = /^(>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/.exec(c);
        if (!m) throw new Error(`unsupported engines clause ${c}`);
        const v = m[2]!.split('.').concat(['0', '0']).slice(0, 3).join('.');
        const d = cmp(version, v);
        return { '>=': d >= 0, '<=': d <= 0, '>': d > 0, '<': d < 0, '=': d === 0 }[m[1] ?? '=']!;
      }),
  );
}

export interface FunctionFacts {
  /** Object key prefixes the function writes: none may fall under one of its own OSS triggers. */
  writes: readonly string[];
  /** The methods of its HTTP routes (from its module). */
  methods: readonly string[];
}

/** The variables FC sets in every function (not in s.yaml), and what the deployer exports. */
const FC_SETS = { FC_REGION: 'cn-beijing', FC_ACCOUNT_ID: '1234567890123456', FC_FUNCTION_NAME: 'f', ALIBABA_CLOUD_ACCESS_KEY_ID: 'x', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'y' };

export function sYamlProblems(resources: Record<string, ResolvedResource>, facts: Record<string, FunctionFacts>, rawText: string): string[] {
  const problems: string[] = [];
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const fns = Object.entries(resources).filter(([, r]) => r.component === 'fc3');
  const props = new Map<string, Fc3FunctionProps>();
  for (const [name, r] of fns) {
    const parsed = fc3FunctionPropsSchema.safeParse(r.props);
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push(`${name}: props.${i.path.join('.')}: ${i.message}`);
      continue;
    }
    props.set(name, parsed.data);
  }
  const byFunctionName = new Map([...props].map(([name, p]) => [p.functionName, name]));

  for (const [name, p] of props) {
    const f = facts[name] ?? { writes: [], methods: [] };
    // Node: the command is the layer's absolute path, and the layer's Node satisfies the engines
    if (p.runtime.startsWith('custom')) {
      const layer = nodeLayerOf(p.layers ?? []);
      const command = p.customRuntimeConfig?.command[0] ?? '';
      if (!layer) problems.push(`${name}: no official Node layer of a known version (${Object.keys(FC_NODE_LAYERS).join(', ')})`);
      else {
        if (command !== layer.layer.bin) problems.push(`${name}: command '${command}' is not the layer's node (${layer.layer.bin}); a custom runtime has no node on PATH`);
        if (!layer.layer.runtimes.includes(p.runtime)) problems.push(`${name}: layer ${layer.id} is not published for ${p.runtime}`);
        if (!satisfiesEngines(layer.layer.version, engines)) problems.push(`${name}: layer ${layer.id} carries Node ${layer.layer.version}, outside engines ${engines}`);
      }
    } else problems.push(`${name}: runtime ${p.runtime} runs a Node minor nobody pins; use a custom runtime with a Node layer`);
    // resources set on purpose
    for (const k of ['cpu', 'diskSize', 'instanceConcurrency'] as const) if (p[k] === undefined) problems.push(`${name}: ${k} is not set (without cpu and diskSize, fc3 gives 512 MB 0.35 vCPU)`);
    // async invocation
    const triggers = p.triggers ?? [];
    const async = p.asyncInvokeConfig;
    if (triggers.some((t) => t.triggerType === 'timer')) {
      if (async?.maxAsyncRetryAttempts !== 0) problems.push(`${name}: a timer-driven function must not be retried on top of the next tick (asyncInvokeConfig.maxAsyncRetryAttempts: 0)`);
      const every = triggers.flatMap((t) => (t.triggerType === 'timer' ? [/^@every (\d+)m$/.exec(t.triggerConfig.cronExpression)?.[1]] : [])).map(Number)[0];
      if (every && p.timeout > every * 60) problems.push(`${name}: timeout ${p.timeout} s outlasts the ${every}-minute tick: invocations overlap`);
    }
    if (triggers.some((t) => t.triggerType === 'oss')) {
      const dest = async?.destinationConfig?.onFailure?.destination;
      if (!async?.maxAsyncEventAgeInSeconds) problems.push(`${name}: OSS events need maxAsyncEventAgeInSeconds`);
      if (!dest) problems.push(`${name}: OSS events failing every retry would be dropped silently (no onFailure destination)`);
      else {
        const target = /:functions\/([^/]+)$/.exec(dest)?.[1];
        const targetName = target ? byFunctionName.get(target) : undefined;
        if (target && !targetName) problems.push(`${name}: onFailure destination ${target} is not a function of this s.yaml`);
        if (targetName === name) problems.push(`${name}: onFailure destination is the function itself`);
        if (targetName && props.get(targetName)?.asyncInvokeConfig?.destinationConfig?.onFailure) problems.push(`${name}: its onFailure destination ${targetName} has a failure destination of its own (a loop)`);
        if (targetName && !(facts[targetName]?.writes ?? []).some((w) => w.startsWith('dead-letters/'))) problems.push(`${name}: onFailure destination ${targetName} does not keep dead letters`);
      }
    }
    for (const t of triggers) {
      if (t.triggerType === 'oss') {
        for (const e of t.triggerConfig.events) if (!OBJECT_EXISTS_EVENTS.includes(e)) problems.push(`${name}/${t.triggerName}: event ${e} (only events after which the object exists: ${OBJECT_EXISTS_EVENTS.join(', ')})`);
        for (const e of OBJECT_EXISTS_EVENTS) if (!t.triggerConfig.events.includes(e as never)) problems.push(`${name}/${t.triggerName}: misses ${e} (streamed and copied uploads arrive as CopyObject or CompleteMultipartUpload)`);
        const { prefix } = t.triggerConfig.filter.key;
        if (!prefix) problems.push(`${name}/${t.triggerName}: no prefix filter`);
        for (const w of f.writes) if (w.startsWith(prefix) || prefix.startsWith(w)) problems.push(`${name}/${t.triggerName}: prefix ${prefix} fires on the function's own output ${w}`);
      }
      if (t.triggerType === 'http') {
        for (const m of ['OPTIONS', 'HEAD', ...f.methods]) if (!t.triggerConfig.methods.includes(m as never)) problems.push(`${name}/${t.triggerName}: method ${m} not listed (FC refuses it before the function sees it)`);
      }
    }
    // the environment: cloud mode starts with it (plus what FC sets), it fits FC's 4 KB, and holds no secret
    const env = p.environmentVariables ?? {};
    try {
      loadConfig({ ...FC_SETS, ...env, DASHSCOPE_API_KEY: env.DASHSCOPE_API_KEY || 'sk-deployer-sets-this' });
    } catch (e) {
      problems.push(`${name}: cloud mode refuses the environment: ${(e as Error).message}`);
    }
    const envBytes = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0);
    if (envBytes > 4096) problems.push(`${name}: environment is ${envBytes} bytes (FC allows 4 KB)`);
  }
  // secrets come from the deployer's environment, never the file
  for (const secret of ['DASHSCOPE_API_KEY', 'CLIENT_API_KEYS', 'CLIENT_KEY_SECRET']) {
    for (const line of rawText.split('\n').filter((l) => new RegExp(`^\\s*${secret}:`).test(l))) {
      if (!new RegExp(`^\\s*${secret}: \\$\\{env\\('${secret}', ''\\)\\}\\s*$`).test(line)) problems.push(`${secret} is written into s.yaml: ${line.trim().slice(0, 60)}`);
    }
  }
  return problems;
}
