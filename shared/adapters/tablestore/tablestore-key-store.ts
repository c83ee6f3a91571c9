// KeyStore on Table Store (cloud mode): one row per client key, keyed by its digest, so the per-request lookup
// is one GetRow. Lists and revocation by id or tenant scan the table (key lists are small).
import { KeyExistsError, KeyStoreError, type KeyStore, type StoredKey } from '../../ports/key-store.ts';
import { keyRowColumns, storedKeyFromRow } from '../stored-key-row.ts';
import { INF_MAX, INF_MIN, OtsError, type Columns, type PrimaryKey, type Row, type TablestoreClient, type TableSpec } from './tablestore-client.ts';

/** Times a write whose answer was lost is re-read and, if it did not land, sent again. */
const AMBIGUOUS_RETRIES = 3;
const PAGE = 1000;

export class TablestoreKeyStore implements KeyStore {
  constructor(
    private readonly client: TablestoreClient,
    private readonly table: string,
  ) {}

  async create(key: StoredKey): Promise<void> {
    // ids are random, so this only catches a caller's mistake; the digest is guarded by the write's condition
    if ((await this.list()).some((k) => k.id === key.id)) throw new KeyExistsError(`client key ${key.id}: its id is already stored`);
    const columns: Columns = { ...keyRowColumns(key), revoked: key.revoked, ...(key.revokedAt ? { revoked_at: key.revokedAt } : {}) };
    delete columns['hash'];
    for (let i = 0; ; i++) {
      try {
        await this.client.putRow(this.table, pk(key.hash), columns, { row: 'EXPECT_NOT_EXIST' });
        return;
      } catch (e) {
        if (!(e instanceof OtsError) || !(e.conditionFailed || (e.ambiguous && i < AMBIGUOUS_RETRIES))) throw wrap(e, `client key ${key.id}`);
        // a lost answer: the row says whether that attempt landed; a condition failure may be our own earlier write
        const row = await this.read(key.hash);
        if (row?.id === key.id) return;
        if (row || e.conditionFailed) throw new KeyExistsError(`client key ${key.id}: its digest is already stored`);
      }
    }
  }

  async findByHash(hash: string): Promise<StoredKey | undefined> {
    return this.read(hash);
  }

  async list(): Promise<StoredKey[]> {
    const keys: StoredKey[] = [];
    let start: PrimaryKey = [['hash', INF_MIN]];
    for (;;) {
      let page: { rows: Row[]; next?: PrimaryKey };
      try {
        page = await this.client.getRange(this.table, { start, end: [['hash', INF_MAX]], limit: PAGE });
      } catch (e) {
        throw wrap(e, 'client keys');
      }
      for (const r of page.rows) keys.push(toKey(r));
      if (!page.next) break;
      start = page.next;
    }
    return keys.sort(oldestFirst);
  }

  async revoke(idOrName: string, now: Date): Promise<StoredKey[]> {
    const at = now.toISOString();
    const revoked: StoredKey[] = [];
    for (const key of (await this.list()).filter((k) => !k.revoked && (k.id === idOrName || k.name === idOrName))) {
      if (await this.revokeOne(key, at)) revoked.push({ ...key, revoked: true, revokedAt: at });
    }
    return revoked;
  }

  /** True when this call revoked the key; false when another revoked it first. */
  private async revokeOne(key: StoredKey, at: string): Promise<boolean> {
    for (let i = 0; ; i++) {
      try {
        await this.client.updateRow(this.table, pk(key.hash), { put: { revoked: true, revoked_at: at } }, {
          row: 'EXPECT_EXIST',
          column: { name: 'revoked', equals: false, passIfMissing: false },
        });
        return true;
      } catch (e) {
        if (!(e instanceof OtsError) || !(e.conditionFailed || (e.ambiguous && i < AMBIGUOUS_RETRIES))) throw wrap(e, `client key ${key.id}`);
        const row = await this.read(key.hash);
        if (!row) return false;
        if (row.revoked) return row.revokedAt === at;
        if (e.conditionFailed) return false;
      }
    }
  }

  private async read(hash: string): Promise<StoredKey | undefined> {
    let row: Row | undefined;
    try {
      row = await this.client.getRow(this.table, pk(hash));
    } catch (e) {
      throw wrap(e, 'client key lookup');
    }
    return row && toKey(row);
  }
}

const pk = (hash: string): PrimaryKey => [['hash', hash]];
const oldestFirst = (a: StoredKey, b: StoredKey) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
const toKey = (r: Row) => storedKeyFromRow({ ...r.columns, hash: r.key['hash'] });

// the digest is never put in an error: it is what a lookup is made with
function wrap(e: unknown, what: string): KeyStoreError {
  if (e instanceof KeyStoreError) return e;
  return new KeyStoreError(`${what}: ${e instanceof OtsError ? `${e.code} ${e.message}` : String(e)}`, { cause: e });
}

/** The client keys table's name under a deployment's table prefix. */
export const keyTableName = (prefix = ''): string => `${prefix}client_keys`;

/** The client keys table: one row per key, keyed by its HMAC digest. */
export function keyTableSpec(table: string): TableSpec {
  return { name: table, primaryKey: [{ name: 'hash', type: 'STRING' }], timeToLive: -1, maxVersions: 1 };
}

/** Creates the client keys table (set-up scripts and tests; the store never creates it). */
export async function createKeyTable(client: TablestoreClient, table: string): Promise<void> {
  await client.createTable(keyTableSpec(table));
}
