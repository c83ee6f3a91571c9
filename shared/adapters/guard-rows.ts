// What every GuardStore adapter checks before it writes (integer amounts, distinct counter keys) and how it reads
// a stored ledger entry back (zod), so the SQLite and Table Store adapters refuse and return the same things.
import { z } from 'zod';
import type { LedgerEntry } from '../domain/ledger.ts';
import { GuardStoreError, type AdmissionRequest, type Settlement } from '../ports/guard-store.ts';
import { parseJson } from '../json/parse-json.ts';

function integer(value: number, what: string, min?: number): void {
  if (!Number.isSafeInteger(value)) throw new GuardStoreError(`${what} must be an integer, got ${String(value).slice(0, 40)}`);
  if (min !== undefined && value < min) throw new GuardStoreError(`${what} must be ≥ ${min}, got ${value}`);
}

function time(value: Date, what: string): number {
  const t = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw new GuardStoreError(`${what} is not a valid time`);
  return t;
}

/** Refuses an admission the store could not apply exactly: fractional or negative amounts, a key charged twice. */
export function checkAdmission(request: AdmissionRequest): void {
  const seen = new Set<string>();
  for (const c of request.charges) {
    if (seen.has(c.key)) throw new GuardStoreError(`counter ${c.key} is charged twice in one admission`);
    seen.add(c.key);
    integer(c.amount, `charge ${c.key}: amount`, 0);
    integer(c.limit, `charge ${c.key}: limit`, 0);
    if (c.rule !== 'fit' && c.rule !== 'under') throw new GuardStoreError(`charge ${c.key}: unknown rule`);
    time(c.expiresAt, `charge ${c.key}: expiresAt`);
  }
  const r = request.reservation;
  if (r) {
    if (r.id === '') throw new GuardStoreError('a reservation needs an id');
    integer(r.amount, `reservation ${r.id}: amount`, 0);
    time(r.expiresAt, `reservation ${r.id}: expiresAt`);
    if (new Set(r.keys).size !== r.keys.length) throw new GuardStoreError(`reservation ${r.id} names a key twice`);
  }
}

/** Refuses a settlement with a fractional or negative cost, a fractional adjustment, or a key named twice. */
export function checkSettlement(s: Settlement): void {
  if (s.entry) {
    integer(s.entry.costMicros, `ledger entry ${s.entry.id}: costMicros`, 0);
    ledgerTime(s.entry.at, s.entry.id);
  }
  const spendKeys = (s.spendKeys ?? []).map((k) => k.key);
  if (new Set(spendKeys).size !== spendKeys.length) throw new GuardStoreError('a settlement names a spend key twice');
  for (const k of s.spendKeys ?? []) time(k.expiresAt, `spend key ${k.key}: expiresAt`);
  const adjusted = (s.adjustments ?? []).map((a) => a.key);
  if (new Set(adjusted).size !== adjusted.length) throw new GuardStoreError('a settlement adjusts a key twice');
  for (const a of s.adjustments ?? []) {
    integer(a.amount, `adjustment of ${a.key}: amount`);
    time(a.expiresAt, `adjustment of ${a.key}: expiresAt`);
  }
}

/** The entry's time as epoch ms; a time that is not ISO 8601 is a caller's bug, not a row to store. */
export function ledgerTime(at: string, id: string): number {
  const t = Date.parse(at);
  if (Number.isNaN(t)) throw new GuardStoreError(`ledger entry ${id}: at is not an ISO time: ${at.slice(0, 40)}`);
  return t;
}

const ledgerEntrySchema = z.object({
  id: z.string(),
  tenant: z.string(),
  model: z.string(),
  kind: z.enum(['chat', 'embedding', 'speech', 'task']),
  at: z.string(),
  costMicros: z.number().int().nonnegative(),
  units: z.record(z.string(), z.number()),
  ref: z.string().optional(),
});

/** A ledger entry as stored (JSON); GuardStoreError when the row no longer matches. */
export function parseLedgerEntry(json: string): LedgerEntry {
  let raw: unknown;
  try {
    raw = parseJson(json);
  } catch {
    throw new GuardStoreError('stored ledger entry is not JSON');
  }
  const r = ledgerEntrySchema.safeParse(raw);
  if (!r.success) throw new GuardStoreError(`stored ledger entry is malformed: ${r.error.issues[0]?.message ?? 'unknown'}`);
  const e = r.data;
  return { id: e.id, tenant: e.tenant, model: e.model, kind: e.kind, at: e.at, costMicros: e.costMicros, units: e.units, ...(e.ref !== undefined ? { ref: e.ref } : {}) };
}

/** A listLedger position: the last entry's time (epoch ms) and id. */
const cursorSchema = z.object({ a: z.number().int(), i: z.string() });

export function encodeLedgerCursor(atMs: number, id: string): string {
  return Buffer.from(JSON.stringify({ a: atMs, i: id })).toString('base64url');
}

export function decodeLedgerCursor(cursor: string): { atMs: number; id: string } {
  try {
    const c = cursorSchema.parse(parseJson(Buffer.from(cursor, 'base64url')));
    return { atMs: c.a, id: c.i };
  } catch {
    throw new GuardStoreError('invalid ledger cursor');
  }
}
