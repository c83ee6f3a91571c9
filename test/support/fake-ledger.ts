// An in-memory ledger implementing only GuardStore.listLedger (range, tenant filter, cursor paging, oldest first),
// for the usage report's tests and its route's; it records every query it was asked.
import type { LedgerEntry } from '../../shared/domain/ledger.ts';
import type { GuardStore, LedgerQuery } from '../../shared/ports/guard-store.ts';

export class FakeLedger implements Pick<GuardStore, 'listLedger'> {
  readonly queries: LedgerQuery[] = [];
  constructor(readonly entries: LedgerEntry[] = []) {}

  listLedger(query: LedgerQuery): Promise<{ entries: LedgerEntry[]; next?: string }> {
    this.queries.push(query);
    const matching = this.entries
      .filter((e) => {
        const at = Date.parse(e.at);
        return at >= query.from.getTime() && at < query.to.getTime() && (query.tenant === undefined || e.tenant === query.tenant);
      })
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id));
    const start = query.cursor === undefined ? 0 : Number(query.cursor);
    const entries = matching.slice(start, start + query.limit);
    const end = start + entries.length;
    return Promise.resolve({ entries, ...(end < matching.length ? { next: String(end) } : {}) });
  }
}

let seq = 0;
/** A ledger entry with plausible defaults. */
export function ledgerEntry(over: Partial<LedgerEntry> & Pick<LedgerEntry, 'tenant' | 'at'>): LedgerEntry {
  seq++;
  return { id: `chat:req-${seq}`, model: 'qwen-plus', kind: 'chat', costMicros: 1_000, units: { prompt_tokens: 10, completion_tokens: 5 }, ...over };
}
