// GET /v1/usage: the cost ledger summed for the caller (its own tenant; an admin key every tenant's or one
// it names), parsed and answered here, summed by the usage use case.
import { queryOf, type HttpCall } from '../../shared/http/http-function.ts';
import { sendJson } from '../../shared/http/respond.ts';
import type { GuardStore } from '../../shared/ports/guard-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Config } from '../../shared/config/config.ts';
import { parseUsageQuery, usageParamsFromSearch } from '../../shared/use-cases/usage/usage-query.ts';
import { usageReport } from '../../shared/use-cases/usage/usage-report.ts';

export interface UsageRouteDeps {
  config: Pick<Config, 'CNY_PER_USD'>;
  clock: Clock;
  /** The ledger's store. */
  guards: Pick<GuardStore, 'listLedger'>;
}

export async function handleUsageRoute(deps: UsageRouteDeps, call: HttpCall): Promise<void> {
  const query = parseUsageQuery(usageParamsFromSearch(queryOf(call.req)), deps.clock.now());
  const report = await usageReport({ guards: deps.guards, cnyPerUsd: deps.config.CNY_PER_USD }, call.principal, query);
  sendJson(call.res, 200, report, { 'x-request-id': call.requestId });
}
