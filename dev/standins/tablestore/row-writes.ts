// How the stand-in applies row writes: a condition read from its protobuf (filters decoded with the SDK's own
// definitions), the row a ReturnContent asks for, and a BatchWriteRow applied and answered row by row.
import { createRequire } from 'node:module';
import { readRow, readVariant, writeRows, type ParsedRow, type StoredRow } from './plain-buffer.ts';
import { invalid, OtsServiceError, type ColumnCondition, type RowExistence, type TableEngine, type WriteCondition } from './table-engine.ts';

type Msg = Record<string, unknown>;
interface ProtoType {
  decode(b: Uint8Array): Msg;
  encode(m: Msg): { finish(): Uint8Array };
}
const require = createRequire(import.meta.url);
const pbFilter = (require('tablestore/lib/protocol/tablestore_compiled_proto.js') as { filter: { proto: Record<string, ProtoType> } }).filter.proto;

export interface ConditionMsg {
  rowExistence: number;
  columnCondition?: Uint8Array;
}
const EXISTENCE: RowExistence[] = ['IGNORE', 'EXPECT_EXIST', 'EXPECT_NOT_EXIST'];

export function toCondition(m: ConditionMsg): WriteCondition {
  const row = EXISTENCE[m.rowExistence];
  if (!row) throw invalid(`Unknown row existence expectation ${m.rowExistence}.`);
  return { row, ...(m.columnCondition && m.columnCondition.length > 0 ? { column: toColumnCondition(Buffer.from(m.columnCondition)) } : {}) };
}

function toColumnCondition(bytes: Buffer): ColumnCondition {
  const f = pbFilter.Filter!.decode(bytes) as { type: number; filter: Uint8Array };
  if (f.type === 1) {
    const s = pbFilter.SingleColumnValueFilter!.decode(f.filter) as { comparator: number; columnName: string; columnValue: Uint8Array; filterIfMissing: boolean };
    return { kind: 'single', comparator: s.comparator, column: s.columnName, value: readVariant(Buffer.from(s.columnValue)), filterIfMissing: s.filterIfMissing };
  }
  if (f.type === 2) {
    const c = pbFilter.CompositeColumnValueFilter!.decode(f.filter) as { combinator: number; subFilters: Msg[] };
    const op = ({ 1: 'NOT', 2: 'AND', 3: 'OR' } as const)[c.combinator as 1 | 2 | 3];
    if (!op) throw invalid(`Unknown logical operator ${c.combinator}.`);
    return { kind: 'composite', op, subs: c.subFilters.map((sf) => toColumnCondition(Buffer.from(pbFilter.Filter!.encode(sf).finish()))) };
  }
  throw invalid(`Unsupported filter type ${f.type}.`);
}

export interface ReturnContentMsg {
  returnType?: number;
  returnColumnNames?: string[];
}

/**
 * The row a ReturnContent asks for: RT_PK the key; RT_AFTER_MODIFY the key and the named atomic counters this change
 * incremented, with their values after it (other named columns are not returned).
 */
export function returned(row: ParsedRow, after: StoredRow | undefined, rc: ReturnContentMsg | undefined): Buffer | undefined {
  const type = rc?.returnType ?? 0;
  if (type === 0) return undefined;
  if (type === 1) return writeRows([{ pk: row.pk, attrs: [] }]);
  if (type !== 2) throw invalid(`Unknown return type ${type}.`);
  const names = new Set(rc?.returnColumnNames ?? []);
  const incremented = new Set(row.cells.filter((c) => c.op === 'INCREMENT').map((c) => c.name));
  return writeRows([{ pk: row.pk, attrs: (after?.attrs ?? []).filter((a) => names.has(a.name) && incremented.has(a.name)) }]);
}

interface BatchRowMsg {
  type: number;
  rowChange: Uint8Array;
  condition: ConditionMsg;
  returnContent?: ReturnContentMsg;
}
export interface BatchTableMsg {
  tableName: string;
  rows?: BatchRowMsg[];
}
const BATCH_TYPES: Record<number, 'PUT' | 'UPDATE' | 'DELETE'> = { 1: 'PUT', 2: 'UPDATE', 3: 'DELETE' };

function parseBatchRow(r: BatchRowMsg) {
  const type = BATCH_TYPES[r.type];
  if (!type) throw invalid(`Unknown operation type ${r.type} in BatchWriteRow.`);
  const row = readRow(Buffer.from(r.rowChange ?? []));
  if (type === 'PUT' && row.cells.some((c) => c.op !== 'PUT')) throw invalid('PutRow cells must not carry an operation.');
  if (type === 'DELETE' && !row.deleteMarker) throw invalid('A delete row change lacks its delete marker.');
  return { type, row, condition: toCondition(r.condition), returnContent: r.returnContent };
}

/**
 * A BatchWriteRow: every row read before any is applied (a malformed one fails the whole request), then each applied
 * on its own and answered with its own outcome; `rowFault` refuses the row at that position without applying it.
 */
export function batchWrite(engine: TableEngine, tables: BatchTableMsg[], consumed: Msg, rowFault?: { row: number; code: string; message?: string }): Msg[] {
  const parsed = tables.map((t) => ({ table: t.tableName, rows: (t.rows ?? []).map(parseBatchRow) }));
  const count = parsed.reduce((n, t) => n + t.rows.length, 0);
  if (count === 0) throw invalid('No row in BatchWriteRow.');
  if (count > 200) throw invalid(`Rows count exceeds the upper limit: ${count} > 200.`);
  // a row may take several changes in one batch, but only one when any of them is an atomic counter's
  const changes = new Map<string, { count: number; counter: boolean }>();
  for (const t of parsed) {
    for (const r of t.rows) {
      const k = `${t.table}\u0000${JSON.stringify(r.row.pk, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
      const c = changes.get(k) ?? { count: 0, counter: false };
      c.count += 1;
      c.counter ||= r.row.cells.some((cell) => cell.op === 'INCREMENT');
      if (c.count > 1 && c.counter) throw invalid(`A row of table ${t.table} with an atomic counter takes only one change in a BatchWriteRow.`);
      changes.set(k, c);
    }
  }
  let position = 0;
  return parsed.map((t) => ({
    tableName: t.table,
    rows: t.rows.map((r) => {
      if (rowFault && position++ === rowFault.row) return { isOk: false, error: { code: rowFault.code, message: rowFault.message ?? rowFault.code } };
      try {
        const after = engine.write(t.table, r.row.pk, r.condition, r.type === 'DELETE' ? 'delete' : { replace: r.type === 'PUT', cells: r.row.cells });
        const back = returned(r.row, after, r.returnContent);
        return { isOk: true, consumed, ...(back ? { row: back } : {}) };
      } catch (e) {
        if (e instanceof OtsServiceError) return { isOk: false, error: { code: e.code, message: e.message } };
        throw e;
      }
    }),
  }));
}
