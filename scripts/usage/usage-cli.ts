// `npm run usage`: the usage report of GET /v1/usage, read straight from the store as the operator (every
// tenant), printed as an aligned table or as the same JSON. Everything outside comes in as UsageCliDeps.
import type { Principal } from '../../shared/domain/tenant.ts';
import type { GuardStore } from '../../shared/ports/guard-store.ts';
import { parseUsageQuery, type UsageParams, type UsageQuery } from '../../shared/use-cases/usage/usage-query.ts';
import { usageReport, type UsageReport } from '../../shared/use-cases/usage/usage-report.ts';
import { InvalidRequestError } from '../../shared/validation/request-errors.ts';
import { oneLine } from '../operator-env.ts';
import { UsageError } from '../usage-error.ts';

export const USAGE_HELP = `usage: npm run usage -- [--from DATE] [--to DATE] [--group-by tenant|model|day] [--tenant NAME] [--json]
  --from DATE        start (inclusive): 2026-12-01 or 2026-12-01T08:00:00Z (UTC unless an offset is given);
                     default the start of the current UTC month
  --to DATE          end (exclusive); a date alone includes that day; default now
  --group-by BY      tenant, model (default) or day (UTC)
  --tenant NAME      only this tenant's usage
  --json             the report as GET /v1/usage answers it, on one line
Reads the store under DATA_DIR (local mode) or Table Store with RUNTIME_MODE=cloud.`;

/** The operator sees every tenant, as an admin key does. */
export const OPERATOR: Principal = { tenant: 'operator', role: 'admin', limits: {}, budgets: {} };

export type UsageArgs = { help: true } | { help: false; params: UsageParams; json: boolean };

const FLAGS = { '--from': 'from', '--to': 'to', '--group-by': 'group_by', '--tenant': 'tenant' } as const;

/** Parses `--flag value` and `--flag=value`; each flag at most once. */
export function parseUsageArgs(argv: readonly string[]): UsageArgs {
  const params: UsageParams = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h' || arg === 'help') return { help: true };
    if (arg === '--json') {
      json = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = FLAGS[flag as keyof typeof FLAGS];
    if (!name) throw new UsageError(`unknown argument '${arg.slice(0, 40)}'`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    if (params[name] !== undefined) throw new UsageError(`${flag} is given more than once`);
    params[name] = value;
  }
  return { help: false, params, json };
}

const money = (n: number) => n.toFixed(6);
const unitsText = (units: Record<string, number>) => Object.entries(units).map(([k, v]) => `${k}=${v}`).join(' ');

/** The report as aligned lines: a heading, one row per group, the total. */
export function formatUsageTable(r: UsageReport): string[] {
  const scope = r.tenant !== undefined ? `tenant ${r.tenant}` : 'all tenants';
  const lines = [`usage from ${r.from} to ${r.to}, by ${r.group_by}, ${scope} (1 USD = ${r.cny_per_usd} CNY)`];
  if (r.data.length === 0) return [...lines, 'no usage in this range'];
  const rows = [
    [r.group_by.toUpperCase(), 'REQUESTS', 'COST CNY', 'COST USD', 'UNITS'],
    ...r.data.map((d) => [d[r.group_by] ?? '', String(d.requests), money(d.cost_cny), money(d.cost_usd), unitsText(d.units)]),
    ['TOTAL', String(r.total.requests), money(r.total.cost_cny), money(r.total.cost_usd), ''],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  // the key left-aligned, numbers right-aligned, units last and free
  const line = (row: string[]) =>
    [row[0]!.padEnd(widths[0]!), ...[1, 2, 3].map((c) => row[c]!.padStart(widths[c]!)), row[4]!].join('  ').trimEnd();
  return [...lines, ...rows.map(line)];
}

export interface UsageCliDeps {
  /** The store's ledger, opened on first use (throws, naming what to set, when it cannot be). */
  guards: () => Pick<GuardStore, 'listLedger'>;
  /** CNY_PER_USD, read when the report is made (a wrong value is named then). */
  cnyPerUsd: () => number;
  now: () => Date;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Values no line may show. */
  secrets?: readonly (string | undefined)[];
}

/** Runs the command; returns the exit code (0 printed, 2 wrong arguments, 1 the store failed). */
export async function runUsage(argv: readonly string[], deps: UsageCliDeps): Promise<number> {
  let args: UsageArgs;
  let query: UsageQuery;
  try {
    args = parseUsageArgs(argv);
    if (args.help) {
      deps.out(USAGE_HELP);
      return 0;
    }
    query = parseUsageQuery(args.params, deps.now());
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InvalidRequestError)) throw e;
    // the use case names query parameters; here they are flags
    deps.err(`usage: ${e.message.replace(/query parameter '(\w+)'/g, (_, p: string) => `--${p.replace('_', '-')}`)}`);
    deps.err('see: npm run usage -- --help');
    return 2;
  }
  let report: UsageReport;
  try {
    report = await usageReport({ guards: deps.guards(), cnyPerUsd: deps.cnyPerUsd() }, OPERATOR, query);
  } catch (e) {
    // too many entries is the range's fault (2); a store or configuration that fails is not (1)
    deps.err(`usage: ${oneLine(e, deps.secrets)}`);
    return e instanceof InvalidRequestError ? 2 : 1;
  }
  if (args.json) deps.out(JSON.stringify(report));
  else for (const l of formatUsageTable(report)) deps.out(l);
  return 0;
}
