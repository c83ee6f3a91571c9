// The commands of `npm run ops`: operate a deployed stack through the FC API (trigger URLs, poll now, re-drive a
// manifest), Table Store (one task) and EventBridge (recent events). Everything outside comes in as OpsDeps.
import { taskIdFromManifestKey, MANIFEST_PREFIX } from '../../shared/domain/manifest.ts';
import type { TaskStore } from '../../shared/ports/task-store.ts';
import type { FunctionSpec } from '../../dev/runtime/s-yaml.ts';
import { oneLine } from '../operator-env.ts';
import type { FcApi, TriggerSummary } from './fc-api.ts';
import { UsageError } from '../usage-error.ts';

/** One event of the bus as `events` prints it; what `recentEvents` (EventBridge) returns. */
export interface BusEvent {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  data: unknown;
}
export type RecentEvents = (q: { since: Date; limit: number }) => Promise<BusEvent[]>;

export interface OpsDeps {
  /** The fc3 functions of s.yaml (names and triggers come from there). */
  functions: readonly FunctionSpec[];
  /** Built on first use: each throws, naming what to set, when its variables are missing. */
  fc: () => FcApi;
  tasks: () => TaskStore;
  bucket: () => { name: string; region: string; accountId: string };
  /** The bus's recent events (EventBridge), its client built on first use. */
  recentEvents: RecentEvents;
  now: () => Date;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Values no line may show. */
  secrets?: readonly (string | undefined)[];
}

export const USAGE = `usage: npm run ops -- <command>
  urls                              the HTTP trigger URLs of chat-stream and submit-task
  poll                              invoke poll-task now (as its timer does) and print its summary
  redrive <manifest-key>            invoke persist-to-oss for results/manifests/<taskId>.json, print its answer
  task <id>                         one task as stored in Table Store, as JSON
  events [--since 15m] [--limit N]  recent events of the bus (since: s, m, h or d; limit 1-100, default 20)
  help                              this text
environment: FC_ACCOUNT_ID and FC_REGION (or FC_ENDPOINT, an http(s) origin), ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET (ALIBABA_CLOUD_SECURITY_TOKEN for STS); task: OTS_INSTANCE (OTS_ENDPOINT defaults to
its public endpoint in FC_REGION); redrive: OSS_BUCKET`;

/** Time an invocation may take beyond the function's own timeout (FC's queueing, the network). */
const INVOKE_MARGIN_MS = 30_000;

function fn(d: OpsDeps, resource: string): FunctionSpec {
  const spec = d.functions.find((f) => f.resource === resource);
  if (!spec) throw new Error(`s.yaml has no fc3 resource '${resource}'`);
  return spec;
}

function printAnswer(d: OpsDeps, body: Buffer): void {
  const text = body.toString('utf8');
  try {
    d.out(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    d.out(text);
  }
}

async function urls(d: OpsDeps): Promise<number> {
  const api = d.fc();
  let missing = 0;
  for (const resource of ['chat-stream', 'submit-task']) {
    const spec = fn(d, resource);
    const http = (await api.listTriggers(spec.functionName)).filter((t) => t.triggerType === 'http');
    if (http.length === 0) {
      d.err(`${resource} (${spec.functionName}): no http trigger deployed`);
      missing += 1;
    }
    for (const listed of http) {
      // ListTriggers may leave out the URLs; GetTrigger has them
      const t: TriggerSummary = listed.httpTrigger?.urlInternet || listed.httpTrigger?.urlIntranet ? listed : await api.getTrigger(spec.functionName, listed.triggerName);
      d.out(`${resource.padEnd(13)} ${spec.functionName} (trigger ${t.triggerName})`);
      d.out(`  internet  ${t.httpTrigger?.urlInternet ?? '(none)'}`);
      d.out(`  intranet  ${t.httpTrigger?.urlIntranet ?? '(none)'}`);
    }
  }
  return missing ? 1 : 0;
}

async function poll(d: OpsDeps): Promise<number> {
  const spec = fn(d, 'poll-task');
  const timer = spec.triggers.find((t) => t.triggerType === 'timer');
  // the event FC's timer sends: triggerTime in whole seconds, the trigger's payload as configured
  const event = {
    triggerName: timer?.triggerName ?? 'ops',
    triggerTime: d.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    payload: timer?.triggerType === 'timer' ? (timer.triggerConfig.payload ?? '') : '',
  };
  const answer = await d.fc().invoke(spec.functionName, Buffer.from(JSON.stringify(event)), spec.timeoutS * 1000 + INVOKE_MARGIN_MS);
  printAnswer(d, answer.body);
  return 0;
}

async function redrive(d: OpsDeps, key: string): Promise<number> {
  if (taskIdFromManifestKey(key) === undefined) throw new UsageError(`redrive: '${key.slice(0, 200)}' is not a result manifest key (${MANIFEST_PREFIX}<taskId>.json)`);
  const spec = fn(d, 'persist-to-oss');
  const bucket = d.bucket();
  const now = d.now().toISOString();
  // the record OSS sends for a new object (no `oss:` prefix on eventName); persist-to-oss reads bucket and key
  const event = {
    events: [
      {
        eventName: 'ObjectCreated:PutObject',
        eventSource: 'acs:oss',
        eventTime: now,
        eventVersion: '1.0',
        region: bucket.region,
        oss: {
          bucket: { arn: `acs:oss:${bucket.region}:${bucket.accountId}:${bucket.name}`, name: bucket.name, ownerIdentity: bucket.accountId },
          object: { key },
          ossSchemaVersion: '1.0',
          ruleId: 'ops-redrive',
        },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { requestId: `ops-redrive-${Date.parse(now)}` },
        userIdentity: { principalId: bucket.accountId },
      },
    ],
  };
  const answer = await d.fc().invoke(spec.functionName, Buffer.from(JSON.stringify(event)), spec.timeoutS * 1000 + INVOKE_MARGIN_MS);
  printAnswer(d, answer.body);
  return 0;
}

async function task(d: OpsDeps, id: string): Promise<number> {
  const found = await d.tasks().get(id);
  if (!found) {
    d.err(`task ${id.slice(0, 200)}: not found`);
    return 1;
  }
  d.out(JSON.stringify(found, null, 2));
  return 0;
}

const UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `15m` → milliseconds; `s`, `m`, `h` or `d`. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  if (!m) throw new UsageError(`--since: '${text.slice(0, 50)}' is not a duration like 30s, 15m, 2h or 1d`);
  return Number(m[1]) * UNITS_MS[m[2] as keyof typeof UNITS_MS];
}

function eventsQuery(args: string[], now: Date): { since: Date; limit: number } {
  let sinceMs = 15 * 60_000;
  let limit = 20;
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new UsageError(`events: ${flag} needs a value`);
    if (flag === '--since') sinceMs = parseDuration(value);
    else if (flag === '--limit') {
      limit = Number(value);
      if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new UsageError(`--limit: '${value.slice(0, 50)}' is not a whole number from 1 to 100`);
    } else throw new UsageError(`events: unknown option ${flag}`);
  }
  return { since: new Date(now.getTime() - sinceMs), limit };
}

async function events(d: OpsDeps, args: string[]): Promise<number> {
  const q = eventsQuery(args, d.now());
  for (const e of await d.recentEvents(q)) d.out(JSON.stringify(e));
  return 0;
}

/** Runs one command line; resolves to the exit code (0 done, 1 failed, 2 usage). Never throws. */
export async function runOps(argv: readonly string[], d: OpsDeps): Promise<number> {
  const [command, ...rest] = argv;
  const arg = (name: string): string => {
    if (rest.length !== 1 || !rest[0]) throw new UsageError(`${command}: expected one argument, ${name}`);
    return rest[0];
  };
  const none = () => {
    if (rest.length) throw new UsageError(`${command}: unexpected argument ${rest[0]!.slice(0, 50)}`);
  };
  try {
    switch (command) {
      case 'urls':
        none();
        return await urls(d);
      case 'poll':
        none();
        return await poll(d);
      case 'redrive':
        return await redrive(d, arg('<manifest-key>'));
      case 'task':
        return await task(d, arg('<id>'));
      case 'events':
        return await events(d, rest);
      case 'help':
      case '--help':
      case '-h':
        d.out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command '${command.slice(0, 50)}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      d.err(`ops: ${e.message}`);
      d.err(USAGE);
      return 2;
    }
    d.err(`ops ${command}: ${oneLine(e, d.secrets)}`);
    return 1;
  }
}
