import { describe, expect, it } from 'vitest';
import { FakeLedger, ledgerEntry } from '../../test/support/fake-ledger.ts';
import type { UsageReport } from '../../shared/use-cases/usage/usage-report.ts';
import { UsageError } from '../usage-error.ts';
import { formatUsageTable, parseUsageArgs, runUsage, type UsageCliDeps } from './usage-cli.ts';
import { usageStoreFromEnv, wantsCloud } from './usage-wiring.ts';

describe('parseUsageArgs', () => {
  it('takes --flag value and --flag=value, and --json', () => {
    expect(parseUsageArgs(['--from', '2026-12-01', '--to=2026-12-03', '--group-by', 'day', '--tenant=acme', '--json'])).toEqual({
      help: false,
      json: true,
      params: { from: '2026-12-01', to: '2026-12-03', group_by: 'day', tenant: 'acme' },
    });
    expect(parseUsageArgs([])).toEqual({ help: false, json: false, params: {} });
    expect(parseUsageArgs(['--help'])).toEqual({ help: true });
  });

  it('refuses unknown arguments, a flag without its value and a flag given twice', () => {
    expect(() => parseUsageArgs(['--since', 'x'])).toThrow(UsageError);
    expect(() => parseUsageArgs(['--from'])).toThrow(/--from needs a value/);
    expect(() => parseUsageArgs(['--from', '--json'])).toThrow(/--from needs a value/);
    expect(() => parseUsageArgs(['--tenant', 'a', '--tenant=b'])).toThrow(/more than once/);
  });
});

const report: UsageReport = {
  object: 'usage',
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-04T00:00:00.000Z',
  group_by: 'model',
  cny_per_usd: 7.2,
  data: [
    { model: 'qwen-plus', requests: 2, cost_cny: 0.0038, cost_usd: 0.000528, units: { completion_tokens: 1_460, prompt_tokens: 1_100 } },
    { model: 'wanx2.1-t2i-plus', requests: 12, cost_cny: 0.6, cost_usd: 0.083333, units: { images: 3 } },
  ],
  total: { requests: 14, cost_cny: 0.6038, cost_usd: 0.083861 },
};

describe('formatUsageTable', () => {
  it('prints a heading, one aligned row per group and the total', () => {
    expect(formatUsageTable(report)).toEqual([
      'usage from 2026-12-01T00:00:00.000Z to 2026-12-04T00:00:00.000Z, by model, all tenants (1 USD = 7.2 CNY)',
      'MODEL             REQUESTS  COST CNY  COST USD  UNITS',
      'qwen-plus                2  0.003800  0.000528  completion_tokens=1460 prompt_tokens=1100',
      'wanx2.1-t2i-plus        12  0.600000  0.083333  images=3',
      'TOTAL                   14  0.603800  0.083861',
    ]);
  });

  it('names the tenant of a filtered report and says when there is nothing', () => {
    const lines = formatUsageTable({ ...report, tenant: 'acme', data: [], total: { requests: 0, cost_cny: 0, cost_usd: 0 } });
    expect(lines[0]).toContain('tenant acme');
    expect(lines[1]).toBe('no usage in this range');
  });
});

function cli(ledger = new FakeLedger(), over: Partial<UsageCliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: UsageCliDeps = { guards: () => ledger, cnyPerUsd: () => 7.2, now: () => new Date('2026-12-03T12:00:00Z'), out: (l) => void out.push(l), err: (l) => void err.push(l), ...over };
  return { deps, out, err };
}

describe('runUsage', () => {
  const ledger = () =>
    new FakeLedger([
      ledgerEntry({ tenant: 'acme', at: '2026-12-01T10:00:00Z', costMicros: 7_200 }),
      ledgerEntry({ tenant: 'beta', at: '2026-12-02T10:00:00Z', costMicros: 14_400 }),
    ]);

  it('prints every tenant’s usage this month as a table by default', async () => {
    const c = cli(ledger());
    expect(await runUsage(['--group-by', 'tenant'], c.deps)).toBe(0);
    expect(c.out[0]).toBe('usage from 2026-12-01T00:00:00.000Z to 2026-12-03T12:00:00.000Z, by tenant, all tenants (1 USD = 7.2 CNY)');
    expect(c.out.slice(2)).toEqual([
      'acme           1  0.007200  0.001000  completion_tokens=5 prompt_tokens=10',
      'beta           1  0.014400  0.002000  completion_tokens=5 prompt_tokens=10',
      'TOTAL          2  0.021600  0.003000',
    ]);
    expect(c.err).toEqual([]);
  });

  it('prints the report GET /v1/usage answers with --json, on one line', async () => {
    const c = cli(ledger());
    expect(await runUsage(['--json', '--tenant', 'beta'], c.deps)).toBe(0);
    expect(c.out).toHaveLength(1);
    expect(JSON.parse(c.out[0]!)).toMatchObject({ object: 'usage', group_by: 'model', tenant: 'beta', total: { requests: 1, cost_cny: 0.0144, cost_usd: 0.002 } });
  });

  it('exits 2 naming the flag for a bad argument, without opening the store', async () => {
    let opened = false;
    const c = cli(ledger(), { guards: () => ((opened = true), ledger()) });
    expect(await runUsage(['--from', 'yesterday'], c.deps)).toBe(2);
    expect(c.err[0]).toMatch(/^usage: --from must be a date/);
    expect(await runUsage(['--bogus'], c.deps)).toBe(2);
    expect(opened).toBe(false);
  });

  it('exits 1 with one line when the store cannot be read, secrets replaced', async () => {
    const secret = 'fake-operator-secret-value';
    const c = cli(undefined, { guards: () => ({ listLedger: () => Promise.reject(new Error(`denied for ${secret}\nat line 2`)) }), secrets: [secret] });
    expect(await runUsage([], c.deps)).toBe(1);
    expect(c.err).toEqual(['usage: denied for *** at line 2']);
  });

  it('prints the help and exits 0', async () => {
    const c = cli();
    expect(await runUsage(['--help'], c.deps)).toBe(0);
    expect(c.out[0]).toContain('--group-by tenant|model|day');
  });
});

describe('wantsCloud', () => {
  it('reads the mode as the functions do: RUNTIME_MODE, else cloud when FC_FUNCTION_NAME is set', () => {
    expect(wantsCloud({})).toBe(false);
    expect(wantsCloud({ RUNTIME_MODE: 'cloud' })).toBe(true);
    expect(wantsCloud({ FC_FUNCTION_NAME: 'x' })).toBe(true);
    expect(wantsCloud({ FC_FUNCTION_NAME: 'x', RUNTIME_MODE: 'local' })).toBe(false);
  });
});

describe('usageStoreFromEnv', () => {
  it('names what the cloud store needs when it is missing, without opening anything before it is asked', async () => {
    const store = usageStoreFromEnv({ RUNTIME_MODE: 'cloud' });
    expect(() => store.guards()).toThrow(/OTS_ENDPOINT/);
    await store.close();
  });

  it('reads CNY_PER_USD as the functions do', () => {
    expect(usageStoreFromEnv({ CNY_PER_USD: '7.1' }).cnyPerUsd()).toBe(7.1);
    expect(() => usageStoreFromEnv({ CNY_PER_USD: '-1' }).cnyPerUsd()).toThrow(/CNY_PER_USD/);
  });
});
