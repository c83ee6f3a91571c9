// The stand-in's tables: rows in memory ordered by primary key, conditional writes checked as Table Store checks
// them (INTEGER never equals DOUBLE), and global indexes that follow their table after a delay, as the real ones do.
import type { Cell, StoredRow, Value } from './plain-buffer.ts';

/** An error the service answers with: HTTP status and the protobuf Error's code and message. */
export class OtsServiceError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}
export const conditionFailed = () => new OtsServiceError(403, 'OTSConditionCheckFail', 'Condition check failed.');
export const invalid = (m: string) => new OtsServiceError(400, 'OTSParameterInvalid', m);

export interface IndexDef {
  name: string;
  primaryKey: string[];
  definedColumns: string[];
}
export type ColumnType = 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'BLOB';
export interface TableDef {
  name: string;
  primaryKey: string[];
  indexes: IndexDef[];
  /** Declared types: primary-key columns and defined (pre-declared attribute) columns, checked on every write. */
  types?: Record<string, ColumnType>;
  /** TableOptions as created (DescribeTable answers them). */
  options?: { timeToLive: number; maxVersions: number };
}
/** Largest STRING or BINARY attribute the service accepts (2 MB). */
const MAX_ATTRIBUTE_BYTES = 2 * 1024 * 1024;
export type RowExistence = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
export type ColumnCondition =
  | { kind: 'single'; comparator: number; column: string; value: Value; filterIfMissing: boolean }
  | { kind: 'composite'; op: 'NOT' | 'AND' | 'OR'; subs: ColumnCondition[] };
export interface WriteCondition {
  row: RowExistence;
  column?: ColumnCondition;
}

interface Row {
  pk: { name: string; value: Value }[];
  attrs: Map<string, { value: Value; ts: number }>;
}

const TYPE_ORDER: Record<Value['t'], number> = { INF_MIN: 0, INTEGER: 1, DOUBLE: 1, STRING: 2, BLOB: 3, BOOLEAN: 4, INF_MAX: 9 };
export function compareValues(a: Value, b: Value): number {
  if (a.t !== b.t) return TYPE_ORDER[a.t] - TYPE_ORDER[b.t];
  switch (a.t) {
    case 'INTEGER':
      return a.v < (b as typeof a).v ? -1 : a.v > (b as typeof a).v ? 1 : 0;
    case 'DOUBLE':
      return a.v - (b as typeof a).v;
    case 'STRING':
      return Buffer.compare(Buffer.from(a.v, 'utf8'), Buffer.from((b as typeof a).v, 'utf8'));
    case 'BLOB':
      return Buffer.compare(a.v, (b as typeof a).v);
    case 'BOOLEAN':
      return Number(a.v) - Number((b as typeof a).v);
    default:
      return 0;
  }
}
export const comparePk = (a: Value[], b: Value[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = compareValues(a[i] ?? { t: 'INF_MIN' }, b[i] ?? { t: 'INF_MIN' });
    if (c !== 0) return c;
  }
  return 0;
};
const keyOf = (pk: Value[]): string => JSON.stringify(pk, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? v.toString('hex') : v));

/** Evaluates a column condition against a row's columns; a missing column passes unless filterIfMissing. */
function check(c: ColumnCondition, row: Row | undefined): boolean {
  if (c.kind === 'composite') {
    if (c.op === 'NOT') return !check(c.subs[0]!, row);
    return c.op === 'AND' ? c.subs.every((s) => check(s, row)) : c.subs.some((s) => check(s, row));
  }
  const cell = row?.attrs.get(c.column);
  if (!cell) return !c.filterIfMissing;
  // Table Store never converts: an INTEGER column compared with a DOUBLE (a bare JS number) only differs
  if (cell.value.t !== c.value.t) return c.comparator === 2;
  const d = compareValues(cell.value, c.value);
  return [d === 0, d !== 0, d > 0, d >= 0, d < 0, d <= 0][c.comparator - 1] ?? false;
}

class Table {
  readonly rows = new Map<string, Row>();
  constructor(readonly def: TableDef) {}
  pkValues(pk: { name: string; value: Value }[]): Value[] {
    if (pk.length !== this.def.primaryKey.length || pk.some((c, i) => c.name !== this.def.primaryKey[i])) {
      throw invalid(`Validate PK name fail. Input: ${pk.map((c) => c.name).join(',')}, Meta: ${this.def.primaryKey.join(',')}.`);
    }
    return pk.map((c) => c.value);
  }
  sorted(): Row[] {
    return [...this.rows.values()].sort((a, b) => comparePk(a.pk.map((c) => c.value), b.pk.map((c) => c.value)));
  }
}

interface PendingIndexChange {
  at: number;
  table: string;
  key: string;
  after: Row | undefined;
}

export class TableEngine {
  private readonly tables = new Map<string, Table>();
  /** Index tables by index name (they are read like tables), and where each main row sits in each index. */
  private readonly indexOf = new Map<string, { main: string; def: IndexDef }>();
  private readonly indexKeys = new Map<string, string>();
  private readonly pending: PendingIndexChange[] = [];
  private held = false;

  constructor(private readonly options: { indexLagMs: () => number; now?: () => number }) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  createTable(def: TableDef): void {
    if (this.tables.has(def.name)) throw new OtsServiceError(409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    for (const idx of def.indexes) {
      // an index may only be built from the primary key and defined columns
      const unknown = [...idx.primaryKey, ...idx.definedColumns].find((c) => !def.primaryKey.includes(c) && !def.types?.[c]);
      if (unknown) throw invalid(`Column ${unknown} of index ${idx.name} is neither a primary key nor a defined column.`);
    }
    this.tables.set(def.name, new Table({ ...def, indexes: [] }));
    for (const idx of def.indexes) this.addIndex(def.name, idx, false);
  }

  /** Declares more attribute columns on an existing table; one already declared is refused. */
  addDefinedColumns(main: string, columns: { name: string; type: ColumnType }[]): void {
    const t = this.mainTable(main);
    const types = (t.def.types ??= {});
    const taken = columns.find((c) => types[c.name] !== undefined);
    if (taken) throw invalid(`Column ${taken.name} already exists.`);
    for (const c of columns) types[c.name] = c.type;
  }

  /** Adds a global index to an existing table; with `includeBaseData` the rows already there enter it at once. */
  createIndex(main: string, idx: IndexDef, includeBaseData: boolean): void {
    this.flushIndexes();
    const t = this.mainTable(main);
    if (this.tables.has(idx.name)) throw new OtsServiceError(409, 'OTSObjectAlreadyExist', 'Requested index already exists.');
    const unknown = [...idx.primaryKey, ...idx.definedColumns].find((c) => !t.def.primaryKey.includes(c) && !t.def.types?.[c]);
    if (unknown) throw invalid(`Column ${unknown} of index ${idx.name} is neither a primary key nor a defined column.`);
    this.addIndex(main, idx, includeBaseData);
  }

  private addIndex(main: string, idx: IndexDef, includeBaseData: boolean): void {
    const t = this.table(main);
    const pk = [...idx.primaryKey, ...t.def.primaryKey.filter((c) => !idx.primaryKey.includes(c))];
    const index = new Table({ name: idx.name, primaryKey: pk, indexes: [] });
    this.tables.set(idx.name, index);
    this.indexOf.set(idx.name, { main, def: idx });
    t.def.indexes.push(idx);
    if (!includeBaseData) return;
    for (const [key, row] of t.rows) {
      const entry = indexEntry(row, pk, idx.definedColumns);
      if (!entry) continue;
      const k = keyOf(entry.pk.map((c) => c.value));
      index.rows.set(k, entry);
      this.indexKeys.set(`${idx.name}\u0000${key}`, k);
    }
  }

  /** The tables of the instance (index tables are not listed). */
  listTables(): string[] {
    return [...this.tables.keys()].filter((n) => !this.indexOf.has(n));
  }

  describe(name: string): TableDef {
    return this.table(name).def;
  }

  private table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw new OtsServiceError(404, 'OTSObjectNotExist', 'Requested table does not exist.');
    return t;
  }

  private mainTable(name: string): Table {
    if (this.indexOf.has(name)) throw invalid('Index table is read-only.');
    return this.table(name);
  }

  getRow(name: string, pk: { name: string; value: Value }[], columns: string[]): StoredRow | undefined {
    this.flushIndexes();
    const t = this.table(name);
    const row = t.rows.get(keyOf(t.pkValues(pk)));
    return row && project(row, columns);
  }

  /**
   * Applies a row change under `cond`; `cells` come from a PutRow (all PUT) or an UpdateRow. Returns the row as it is
   * after the change (undefined once deleted), for a ReturnContent.
   */
  write(name: string, pk: { name: string; value: Value }[], cond: WriteCondition, change: { replace: boolean; cells: Cell[] } | 'delete'): StoredRow | undefined {
    this.flushIndexes();
    const t = this.mainTable(name);
    const key = keyOf(t.pkValues(pk));
    for (const c of [...pk, ...(change === 'delete' ? [] : change.cells.filter((x) => x.op === 'PUT' || x.op === 'INCREMENT'))]) checkType(t.def, c.name, c.value);
    if (change !== 'delete') {
      // an atomic counter takes no other operation in the same change
      const counters = new Set(change.cells.filter((c) => c.op === 'INCREMENT').map((c) => c.name));
      const twice = [...counters].find((n) => change.cells.filter((c) => c.name === n).length > 1);
      if (twice) throw invalid(`Column ${twice} is an atomic counter and cannot be changed again in the same request.`);
    }
    const before = t.rows.get(key);
    if (cond.row === 'EXPECT_EXIST' && !before) throw conditionFailed();
    if (cond.row === 'EXPECT_NOT_EXIST' && before) throw conditionFailed();
    if (cond.column && !check(cond.column, before)) throw conditionFailed();
    if (change === 'delete') {
      t.rows.delete(key);
    } else {
      const attrs = new Map(change.replace || !before ? [] : before.attrs);
      const ts = this.now();
      for (const c of change.cells) applyCell(attrs, c, ts);
      t.rows.set(key, { pk, attrs });
    }
    for (const idx of t.def.indexes) {
      this.pending.push({ at: this.now() + this.options.indexLagMs(), table: idx.name, key, after: t.rows.get(key) });
    }
    this.flushIndexes();
    const after = t.rows.get(key);
    return after && project(after, []);
  }

  getRange(name: string, start: Value[], end: Value[], backward: boolean, limit: number): { rows: StoredRow[]; next?: { name: string; value: Value }[] } {
    this.flushIndexes();
    const t = this.table(name);
    if (comparePk(start, end) * (backward ? -1 : 1) > 0) throw invalid(`Begin key must be ${backward ? 'more' : 'less'} than end key in ${backward ? 'BACKWARD' : 'FORWARD'}.`);
    const inRange = (r: Row) => {
      const k = r.pk.map((c) => c.value);
      return backward ? comparePk(k, start) <= 0 && comparePk(k, end) > 0 : comparePk(k, start) >= 0 && comparePk(k, end) < 0;
    };
    const all = t.sorted().filter(inRange);
    if (backward) all.reverse();
    const page = all.slice(0, limit);
    const after = all[limit];
    return { rows: page.map((r) => project(r, [])), ...(after ? { next: after.pk } : {}) };
  }

  /** Stops (hold) or resumes the asynchronous indexes; resuming applies every change held back. */
  holdIndexes(hold: boolean): void {
    this.held = hold;
    if (!hold) this.flushIndexes(Infinity);
  }

  private flushIndexes(until = this.now()): void {
    if (this.held) return;
    while (this.pending.length > 0 && this.pending[0]!.at <= until) {
      const change = this.pending.shift()!;
      const idx = this.table(change.table);
      const meta = this.indexOf.get(change.table)!;
      const slot = `${change.table}\u0000${change.key}`;
      const old = this.indexKeys.get(slot);
      if (old !== undefined) idx.rows.delete(old);
      this.indexKeys.delete(slot);
      const entry = change.after && indexEntry(change.after, idx.def.primaryKey, meta.def.definedColumns);
      if (entry) {
        const k = keyOf(entry.pk.map((c) => c.value));
        idx.rows.set(k, entry);
        this.indexKeys.set(slot, k);
      }
    }
  }
}

function checkType(def: TableDef, column: string, value: Value | undefined): void {
  if (!value) return;
  const declared = def.types?.[column];
  // a JS number is a DOUBLE on the wire: written to a column declared INTEGER it is refused, not converted
  if (declared && declared !== value.t) throw invalid(`Type mismatch of column ${column}: declared ${declared}, got ${value.t}.`);
  const size = value.t === 'STRING' ? Buffer.byteLength(value.v, 'utf8') : value.t === 'BLOB' ? value.v.length : 0;
  if (size > MAX_ATTRIBUTE_BYTES) throw invalid(`The length of attribute column: '${column}' exceeds the MaxLength:${MAX_ATTRIBUTE_BYTES} with CurrentLength:${size}.`);
}

function applyCell(attrs: Map<string, { value: Value; ts: number }>, c: Cell, ts: number): void {
  if (c.op === 'DELETE_ALL' || c.op === 'DELETE_ONE') {
    attrs.delete(c.name);
    return;
  }
  if (!c.value) throw invalid(`column ${c.name} has no value`);
  if (c.op === 'INCREMENT') {
    const cur = attrs.get(c.name)?.value;
    if (c.value.t !== 'INTEGER' || (cur && cur.t !== 'INTEGER')) throw invalid(`increment of ${c.name} needs INTEGER values`);
    attrs.set(c.name, { value: { t: 'INTEGER', v: (cur?.v ?? 0n) + c.value.v }, ts });
    return;
  }
  attrs.set(c.name, { value: c.value, ts: c.timestamp !== undefined ? Number(c.timestamp) : ts });
}

function indexEntry(row: Row, pkNames: string[], defined: string[]): Row | undefined {
  const pk: Row['pk'] = [];
  for (const n of pkNames) {
    const v = row.pk.find((c) => c.name === n)?.value ?? row.attrs.get(n)?.value;
    // a row without every indexed column is simply not in the index
    if (!v) return undefined;
    pk.push({ name: n, value: v });
  }
  const attrs = new Map([...row.attrs].filter(([n]) => defined.includes(n)));
  return { pk, attrs };
}

function project(row: Row, columns: string[]): StoredRow {
  const attrs = [...row.attrs].filter(([n]) => columns.length === 0 || columns.includes(n)).map(([name, a]) => ({ name, value: a.value, ts: a.ts }));
  return { pk: row.pk, attrs };
}
