// A client key as both key stores keep it (limits and budgets as JSON text, the revoked flag, times as ISO text),
// checked on the way out: a stored row is foreign data, so a corrupt one fails loudly instead of letting a key in.
import { z } from 'zod';
import { TENANT_NAME_PATTERN } from '../domain/tenant.ts';
import { parseJson } from '../json/parse-json.ts';
import { KeyStoreError, type StoredKey } from '../ports/key-store.ts';

const positive = z.number().positive().optional();
const limitsSchema = z.object({ rpm: positive, tpm: positive });
const budgetsSchema = z.object({ dailyUsd: positive, monthlyUsd: positive });

const rowSchema = z.object({
  id: z.string().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string().regex(TENANT_NAME_PATTERN),
  role: z.enum(['app', 'admin']),
  limits: z.string(),
  budgets: z.string(),
  revoked: z.union([z.boolean(), z.literal(0), z.literal(1)]),
  created_at: z.string(),
  revoked_at: z.string().nullish(),
});

/** The columns a row holds for `key` (both stores write these names). */
export function keyRowColumns(key: StoredKey) {
  return {
    id: key.id,
    hash: key.hash,
    name: key.name,
    role: key.role,
    limits: JSON.stringify(key.limits),
    budgets: JSON.stringify(key.budgets),
    created_at: key.createdAt,
  };
}

/** The key a stored row holds; KeyStoreError when the row is not one. */
export function storedKeyFromRow(raw: unknown): StoredKey {
  const row = rowSchema.safeParse(raw);
  const id = typeof (raw as { id?: unknown } | undefined)?.id === 'string' ? (raw as { id: string }).id : '?';
  if (!row.success) throw new KeyStoreError(`client key ${id}: row does not match its schema: ${row.error.issues[0]?.path.join('.') ?? ''} ${row.error.issues[0]?.message ?? ''}`);
  const json = <T>(text: string, schema: z.ZodType<T>, what: string): T => {
    let value: unknown;
    try {
      value = parseJson(text);
    } catch {
      throw new KeyStoreError(`client key ${id}: stored ${what} are not JSON`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new KeyStoreError(`client key ${id}: stored ${what} do not match their schema`);
    return parsed.data;
  };
  const d = row.data;
  const strip = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return {
    id: d.id,
    name: d.name,
    role: d.role,
    hash: d.hash,
    limits: strip(json(d.limits, limitsSchema, 'limits')),
    budgets: strip(json(d.budgets, budgetsSchema, 'budgets')),
    revoked: d.revoked === true || d.revoked === 1,
    createdAt: d.created_at,
    ...(d.revoked_at ? { revokedAt: d.revoked_at } : {}),
  };
}
