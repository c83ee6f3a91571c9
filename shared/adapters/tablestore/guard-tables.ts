// The Table Store tables behind GuardStore (counters, reservations with their expiry index, the ledger, once-only
// claims), named under a deployment's prefix. One definition for the set-up, the rehearsal and tests.
import type { TablestoreClient, TableSpec } from './tablestore-client.ts';

export interface GuardTableNames {
  /** pk (key STRING); held, spent INTEGER atomic counters. Rows go with the table's TTL. */
  counters: string;
  /** pk (id STRING); keys (JSON), amount, expires_at (epoch ms, a defined column). */
  reservations: string;
  /** Index on (expires_at, id): what expireReservations reads. */
  reservationExpiryIndex: string;
  /** pk (month STRING `YYYY-MM`, at_id STRING `<ISO time>#<entry id>`); tenant, entry (JSON). */
  ledger: string;
  /** pk (id STRING): `ledger:<entry id>` (the entry recorded once) and `alert:<id>` (an alert raised once). */
  claims: string;
}

export function guardTableNames(prefix = ''): GuardTableNames {
  return {
    counters: `${prefix}guard_counters`,
    reservations: `${prefix}guard_reservations`,
    reservationExpiryIndex: `${prefix}guard_reservations_by_expiry`,
    ledger: `${prefix}guard_ledger`,
    claims: `${prefix}guard_claims`,
  };
}

/**
 * How long a counter row lives after its last change (40 days): longer than the longest window a counter counts
 * (a calendar month), so a row is never dropped before its window ends; after that Table Store drops it itself.
 */
export const COUNTER_TTL_SECONDS = 40 * 86_400;

/** The four tables; every one but the counters keeps its rows (TTL -1, which a table with a global index needs). */
export function guardTableSpecs(names: GuardTableNames): TableSpec[] {
  const kept = { timeToLive: -1, maxVersions: 1 };
  return [
    { name: names.counters, primaryKey: [{ name: 'key', type: 'STRING' }], timeToLive: COUNTER_TTL_SECONDS, maxVersions: 1 },
    {
      name: names.reservations,
      primaryKey: [{ name: 'id', type: 'STRING' }],
      definedColumns: [{ name: 'expires_at', type: 'INTEGER' }],
      indexes: [{ name: names.reservationExpiryIndex, primaryKey: ['expires_at', 'id'] }],
      ...kept,
    },
    {
      name: names.ledger,
      primaryKey: [
        { name: 'month', type: 'STRING' },
        { name: 'at_id', type: 'STRING' },
      ],
      ...kept,
    },
    { name: names.claims, primaryKey: [{ name: 'id', type: 'STRING' }], ...kept },
  ];
}

/** Creates the four tables and the index (set-up scripts and tests; the store never creates tables). */
export async function createGuardTables(client: TablestoreClient, names: GuardTableNames): Promise<void> {
  for (const spec of guardTableSpecs(names)) await client.createTable(spec);
}
