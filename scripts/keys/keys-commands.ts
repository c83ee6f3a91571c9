// The commands of `npm run keys`: make a client key (shown once), list the keys (never a key or its digest),
// revoke a key by id or every key of a tenant by name. Everything outside comes in as KeysDeps.
import { parseArgs } from 'node:util';
import type { Clock, IdGenerator } from '../../shared/ports/clock.ts';
import type { KeyStore } from '../../shared/ports/key-store.ts';
import { createClientKey, InvalidKeyRequestError, listClientKeys, revokeClientKeys, type KeyListing, type NewKeyRequest } from '../../shared/use-cases/tenants/client-keys.ts';
import { oneLine } from '../operator-env.ts';
import { UsageError } from '../usage-error.ts';

export interface KeysDeps {
  /** Built on first use: throws, naming what to set, when a variable is missing. */
  keys: () => KeyStore;
  /** The server secret keys are stored under; asked by `create` only. */
  clientKeySecret: () => string;
  /** Where the keys are, for the lines that say so (`DATA_DIR/local.db`, `Table Store table …`). */
  where: () => string;
  clock: Clock;
  ids: IdGenerator;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Values no line may show. */
  secrets?: readonly (string | undefined)[];
}

export const USAGE = `usage: npm run keys -- <command>
  create --name NAME [--role app|admin] [--rpm N] [--tpm N] [--daily-budget USD] [--monthly-budget USD] [--json]
                         makes a key for the tenant NAME and prints it once (--json: {"id","name","key"} on one line)
  list [--json]          every key: id, tenant, role, limits, budgets, when made and revoked (never the key)
  revoke NAME|ID         revokes the key with this id, or every key of the tenant NAME
  help                   this text
local mode: the keys are in DATA_DIR's database (DATA_DIR as npm start reads it, default .data); the secret they are
stored under is CLIENT_KEY_SECRET, else DATA_DIR/client-key-secret (made on first use).
cloud mode (RUNTIME_MODE=cloud): Table Store's client_keys table (OTS_INSTANCE, OTS_ENDPOINT or FC_REGION,
OTS_TABLE_PREFIX), ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, and for create CLIENT_KEY_SECRET,
the value the functions have`;

const WHOLE = /^[1-9][0-9]{0,15}$/;
const AMOUNT = /^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,6})?$/;

function whole(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!WHOLE.test(v)) throw new UsageError(`--${flag} must be a whole number above 0`);
  return Number(v);
}

function usd(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!AMOUNT.test(v) || Number(v) <= 0) throw new UsageError(`--${flag} must be an amount of USD above 0, e.g. 20 or 7.50`);
  return Number(v);
}

type Flags = Record<string, { type: 'string' | 'boolean' }>;

function parse(args: string[], options: Flags, positionals: number): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (e) {
    // parseArgs names the flag; the message is its own, without a stack
    throw new UsageError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

/** The request `create` makes from its flags; UsageError for anything it cannot honour. */
export function parseCreate(args: string[]): { request: NewKeyRequest; json: boolean } {
  const { values: v } = parse(
    args,
    {
      name: { type: 'string' },
      role: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'daily-budget': { type: 'string' },
      'monthly-budget': { type: 'string' },
      json: { type: 'boolean' },
    },
    0,
  );
  const str = (k: string) => v[k] as string | undefined;
  if (str('name') === undefined) throw new UsageError('create needs --name NAME (the tenant the key acts for)');
  const role = str('role');
  if (role !== undefined && role !== 'app' && role !== 'admin') throw new UsageError('--role is app or admin');
  const limits = { rpm: whole('rpm', str('rpm')), tpm: whole('tpm', str('tpm')) };
  const budgets = { dailyUsd: usd('daily-budget', str('daily-budget')), monthlyUsd: usd('monthly-budget', str('monthly-budget')) };
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
  return { request: { name: str('name')!, ...(role ? { role } : {}), limits: defined(limits), budgets: defined(budgets) }, json: v['json'] === true };
}

const cell = (n: number | undefined) => (n === undefined ? '-' : String(n));

/** The keys as a table: one line per key, columns padded to their widest cell. */
export function keyTable(keys: readonly KeyListing[]): string[] {
  const rows = [
    ['ID', 'NAME', 'ROLE', 'RPM', 'TPM', 'DAILY USD', 'MONTHLY USD', 'CREATED', 'REVOKED'],
    ...keys.map((k) => [k.id, k.name, k.role, cell(k.limits.rpm), cell(k.limits.tpm), cell(k.budgets.dailyUsd), cell(k.budgets.monthlyUsd), k.createdAt, k.revokedAt ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** Runs one command; the exit code: 0 done, 1 failed or nothing matched, 2 a wrong command line. */
export async function runKeys(argv: string[], d: KeysDeps): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'create': {
        const { request, json } = parseCreate(rest);
        const { key, stored } = await createClientKey({ keys: d.keys(), clock: d.clock, ids: d.ids, clientKeySecret: d.clientKeySecret }, request);
        if (json) {
          d.out(JSON.stringify({ id: stored.id, name: stored.name, key }));
        } else {
          d.out(`created key ${stored.id} for tenant ${stored.name} (role ${stored.role}) in ${d.where()}:`);
          d.out(`  ${key}`);
          d.out('This key is shown only now and cannot be recovered: store it in a secret manager. Clients send it as Authorization: Bearer <key>.');
        }
        return 0;
      }
      case 'list': {
        const { values } = parse(rest, { json: { type: 'boolean' } }, 0);
        const keys = await listClientKeys(d.keys());
        if (values['json'] === true) d.out(JSON.stringify(keys));
        else if (keys.length === 0) d.out(`no keys in ${d.where()}`);
        else for (const line of keyTable(keys)) d.out(line);
        return 0;
      }
      case 'revoke': {
        const { positionals } = parse(rest, {}, 1);
        const target = positionals[0];
        if (!target) throw new UsageError('revoke needs the id of a key or the name of a tenant');
        const revoked = await revokeClientKeys({ keys: d.keys(), clock: d.clock }, target);
        if (revoked.length === 0) {
          d.err(`keys: nothing revoked: no key in ${d.where()} with the id or tenant name ${target} is still active`);
          return 1;
        }
        for (const k of revoked) d.out(`revoked ${k.id} (tenant ${k.name}, role ${k.role}, created ${k.createdAt})`);
        return 0;
      }
      case 'help':
      case '--help':
      case '-h':
        d.out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command ${command.slice(0, 50)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidKeyRequestError) {
      d.err(`keys: ${e.message}`);
      d.err(USAGE);
      return 2;
    }
    d.err(`keys: ${oneLine(e, d.secrets ?? [])}`);
    return 1;
  }
}
