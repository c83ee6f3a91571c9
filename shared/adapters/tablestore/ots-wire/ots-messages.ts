// Table Store's protobuf messages (tablestore.proto, tablestore_filter.proto of API 2015-12-31) for the operations
// the client sends: requests written field by field as the SDK's encoder writes them, answers read by field number.
import * as plain from './plain-buffer.ts';
import type { CellChange, OtsValue, PrimaryKey } from './plain-buffer.ts';
import { ProtoError, ProtoMessage, ProtoWriter } from './protobuf.ts';

export type RowExistence = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
export interface WriteCondition {
  row: RowExistence;
  /** Column `name` must equal `equals`; a missing column fails the write unless passIfMissing. */
  column?: { name: string; equals: OtsValue; passIfMissing?: boolean };
}

export type PrimaryKeyType = 'INTEGER' | 'STRING' | 'BINARY';
export type DefinedColumnType = 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'BINARY';

/** A global secondary index, updated asynchronously: its key columns, then the columns it carries. */
export interface IndexSpec {
  name: string;
  primaryKey: string[];
  definedColumns?: string[];
}

export interface TableSpec {
  name: string;
  primaryKey: { name: string; type: PrimaryKeyType }[];
  /** Attribute columns declared with a type: what an index may be built from. */
  definedColumns?: { name: string; type: DefinedColumnType }[];
  indexes?: IndexSpec[];
  /** Seconds a cell lives, or -1 for ever (a table with a global index needs -1). */
  timeToLive: number;
  maxVersions: number;
  /** Reserved capacity units (default 0 and 0: pay per request). */
  reserved?: { read: number; write: number };
}

export type TableStatus = 'ACTIVE' | 'INACTIVE' | 'LOADING' | 'UNLOADING' | 'UPDATING';
export interface TableDescription extends Required<Omit<TableSpec, 'reserved'>> {
  status: TableStatus | undefined;
}

const EXISTENCE: Record<RowExistence, number> = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 };
const PK_TYPE: Record<PrimaryKeyType, number> = { INTEGER: 1, STRING: 2, BINARY: 3 };
const DEFINED_TYPE: Record<DefinedColumnType, number> = { INTEGER: 1, DOUBLE: 2, BOOLEAN: 3, STRING: 4, BINARY: 7 };
const STATUS: TableStatus[] = ['ACTIVE', 'INACTIVE', 'LOADING', 'UNLOADING', 'UPDATING'];
const FT_SINGLE_COLUMN_VALUE = 1;
const CT_EQUAL = 1;
const nameOf = <K extends string>(map: Record<K, number>, n: number | undefined): K | undefined => (Object.keys(map) as K[]).find((k) => map[k] === n);

/** Condition{row_existence, column_condition: Filter{SINGLE_COLUMN_VALUE, SingleColumnValueFilter}}. */
function condition(c: WriteCondition): ProtoWriter {
  const w = new ProtoWriter().int32(1, EXISTENCE[c.row]);
  if (c.column) {
    const single = new ProtoWriter()
      .int32(1, CT_EQUAL)
      .string(2, c.column.name)
      .bytes(3, plain.encodeVariant(c.column.equals))
      // the wire says "filter if missing", the opposite of passIfMissing
      .bool(4, !(c.column.passIfMissing ?? false))
      .bool(5, true);
    w.bytes(2, new ProtoWriter().int32(1, FT_SINGLE_COLUMN_VALUE).message(2, single).finish());
  }
  return w;
}

function indexMeta(i: IndexSpec): ProtoWriter {
  const w = new ProtoWriter().string(1, i.name);
  for (const c of i.primaryKey) w.string(2, c);
  for (const c of i.definedColumns ?? []) w.string(3, c);
  return w.int32(4, 0 /* IUM_ASYNC_INDEX */).int32(5, 0 /* IT_GLOBAL_INDEX */);
}

export function createTableRequest(t: TableSpec): Buffer {
  const meta = new ProtoWriter().string(1, t.name);
  for (const pk of t.primaryKey) meta.message(2, new ProtoWriter().string(1, pk.name).int32(2, PK_TYPE[pk.type]));
  for (const d of t.definedColumns ?? []) meta.message(3, new ProtoWriter().string(1, d.name).int32(2, DEFINED_TYPE[d.type]));
  const reserved = new ProtoWriter().int32(1, t.reserved?.read ?? 0).int32(2, t.reserved?.write ?? 0);
  const w = new ProtoWriter()
    .message(1, meta)
    .message(2, new ProtoWriter().message(1, reserved))
    .message(3, new ProtoWriter().int32(1, t.timeToLive).int32(2, t.maxVersions));
  for (const i of t.indexes ?? []) w.message(7, indexMeta(i));
  return w.finish();
}

/** AddDefinedColumnRequest {table_name = 1; repeated DefinedColumnSchema columns = 2} (not in the Node SDK's proto). */
export function addDefinedColumnRequest(table: string, columns: { name: string; type: DefinedColumnType }[]): Buffer {
  const w = new ProtoWriter().string(1, table);
  for (const c of columns) w.message(2, new ProtoWriter().string(1, c.name).int32(2, DEFINED_TYPE[c.type]));
  return w.finish();
}

export function createIndexRequest(table: string, index: IndexSpec, includeBaseData: boolean): Buffer {
  return new ProtoWriter().string(1, table).message(2, indexMeta(index)).bool(3, includeBaseData).finish();
}

export const listTableRequest = (): Buffer => Buffer.alloc(0);
export const describeTableRequest = (table: string): Buffer => new ProtoWriter().string(1, table).finish();

export function getRowRequest(table: string, pk: PrimaryKey, columns?: string[]): Buffer {
  const w = new ProtoWriter().string(1, table).bytes(2, plain.encodePrimaryKey(pk));
  for (const c of columns ?? []) w.string(3, c);
  return w.int32(5, 1 /* max_versions */).finish();
}

export function putRowRequest(table: string, pk: PrimaryKey, columns: [string, OtsValue][], c: WriteCondition): Buffer {
  return new ProtoWriter().string(1, table).bytes(2, plain.encodePutRow(pk, columns)).message(3, condition(c)).finish();
}

export function updateRowRequest(table: string, pk: PrimaryKey, cells: CellChange[], c: WriteCondition): Buffer {
  return new ProtoWriter().string(1, table).bytes(2, plain.encodeUpdateRow(pk, cells)).message(3, condition(c)).finish();
}

export function deleteRowRequest(table: string, pk: PrimaryKey, c: WriteCondition): Buffer {
  return new ProtoWriter().string(1, table).bytes(2, plain.encodeDeleteRow(pk)).message(3, condition(c)).finish();
}

export interface RangeQuery {
  start: PrimaryKey;
  end: PrimaryKey;
  backward?: boolean;
  limit: number;
  columns?: string[];
}

export function getRangeRequest(table: string, q: RangeQuery): Buffer {
  const w = new ProtoWriter().string(1, table).int32(2, q.backward ? 1 : 0);
  for (const c of q.columns ?? []) w.string(3, c);
  w.int32(5, 1 /* max_versions */);
  if (q.limit) w.int32(6, q.limit);
  return w.bytes(7, plain.encodePrimaryKey(q.start)).bytes(8, plain.encodePrimaryKey(q.end)).finish();
}

/** Error{code, message}: the body of every error answer, when the service wrote it. */
export function decodeError(body: Buffer): { code: string; message: string } {
  const m = ProtoMessage.decode(body);
  const code = m.string(1);
  if (code === undefined) throw new ProtoError('Error without a code');
  return { code, message: m.string(2) ?? '' };
}

/** GetRowResponse.row: the PlainBuffer row, empty when there is none. */
export const decodeGetRow = (body: Buffer): Buffer => ProtoMessage.decode(body).bytes(2) ?? Buffer.alloc(0);

/** GetRangeResponse: the rows, and the key the next page starts at (absent when the range is done). */
export function decodeGetRange(body: Buffer): { rows: Buffer; next: Buffer | undefined } {
  const m = ProtoMessage.decode(body);
  const next = m.bytes(3);
  return { rows: m.bytes(2) ?? Buffer.alloc(0), next: next && next.length > 0 ? next : undefined };
}

export const decodeListTable = (body: Buffer): string[] => ProtoMessage.decode(body).strings(1);

function decodeIndex(m: ProtoMessage): IndexSpec {
  return { name: m.string(1) ?? '', primaryKey: m.strings(2), definedColumns: m.strings(3) };
}

export function decodeDescribeTable(body: Buffer): TableDescription {
  const m = ProtoMessage.decode(body);
  const meta = m.message(1);
  if (!meta) throw new ProtoError('DescribeTableResponse without table_meta');
  const options = m.message(3);
  const status = m.int32(4);
  return {
    name: meta.string(1) ?? '',
    primaryKey: meta.messages(2).map((c) => ({ name: c.string(1) ?? '', type: nameOf(PK_TYPE, c.int32(2)) ?? 'STRING' })),
    definedColumns: meta.messages(3).map((c) => ({ name: c.string(1) ?? '', type: nameOf(DEFINED_TYPE, c.int32(2)) ?? 'STRING' })),
    indexes: m.messages(8).map(decodeIndex),
    timeToLive: options?.int32(1) ?? -1,
    maxVersions: options?.int32(2) ?? 1,
    status: status === undefined ? undefined : STATUS[status - 1],
  };
}

export type BatchRowType = 'PUT' | 'UPDATE' | 'DELETE';
const BATCH_TYPE: Record<BatchRowType, number> = { PUT: 1, UPDATE: 2, DELETE: 3 };
const RT_AFTER_MODIFY = 2;

/** One row of a BatchWriteRow: its PlainBuffer change (a PutRow, UpdateRow or DeleteRow row), condition and return. */
export interface BatchRow {
  table: string;
  type: BatchRowType;
  rowChange: Buffer;
  condition: WriteCondition;
  /** Atomic counters to answer with their values after this change (ReturnContent RT_AFTER_MODIFY). */
  returnColumns?: string[];
}

/** ReturnContent{return_type, return_column_names}: the counters' values after the change. */
function returnAfterModify(columns: string[]): ProtoWriter {
  const w = new ProtoWriter().int32(1, RT_AFTER_MODIFY);
  for (const c of columns) w.string(2, c);
  return w;
}

/**
 * BatchWriteRowRequest{tables: TableInBatchWriteRowRequest{table_name, rows}}: one entry per table in the order the
 * tables first appear, each with its rows in order, as the SDK's encodeBatchWriteRow writes `params.tables`.
 */
export function batchWriteRowRequest(rows: BatchRow[]): Buffer {
  const tables = new Map<string, ProtoWriter>();
  for (const r of rows) {
    let t = tables.get(r.table);
    if (!t) tables.set(r.table, (t = new ProtoWriter().string(1, r.table)));
    const row = new ProtoWriter().int32(1, BATCH_TYPE[r.type]).bytes(2, r.rowChange).message(3, condition(r.condition));
    if (r.returnColumns) row.message(4, returnAfterModify(r.returnColumns));
    t.message(2, row);
  }
  const w = new ProtoWriter();
  for (const t of tables.values()) w.message(1, t);
  return w.finish();
}

/** The answer of one batch row: applied, or the service's error; `row` when a return was asked for. */
export interface BatchRowAnswer {
  ok: boolean;
  error?: { code: string; message: string };
  row?: Buffer;
}

/**
 * BatchWriteRowResponse, flattened back into the order of `rows` as batchWriteRowRequest grouped them: the answer
 * lists the tables in the request's order and each table's rows in order.
 */
export function decodeBatchWriteRow(body: Buffer, rows: Pick<BatchRow, 'table'>[]): BatchRowAnswer[] {
  const tables = ProtoMessage.decode(body).messages(1);
  const byTable = new Map<string, ProtoMessage[]>();
  for (const t of tables) byTable.set(t.string(1) ?? '', t.messages(2));
  const taken = new Map<string, number>();
  return rows.map((r) => {
    const i = taken.get(r.table) ?? 0;
    taken.set(r.table, i + 1);
    const m = byTable.get(r.table)?.[i];
    if (!m) throw new ProtoError(`BatchWriteRowResponse lacks row ${i} of table ${r.table}`);
    const error = m.message(2);
    const row = m.bytes(4);
    return {
      ok: m.int32(1) === 1,
      ...(error ? { error: { code: error.string(1) ?? '', message: error.string(2) ?? '' } } : {}),
      ...(row && row.length > 0 ? { row } : {}),
    };
  });
}
