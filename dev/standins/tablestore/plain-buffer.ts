// PlainBuffer rows on the stand-in's side: requests read (checksums verified) by the client's reader, which also
// reads UpdateRow cells that carry an operation (the SDK's cannot); answers written with the SDK's own builder.
import { createRequire } from 'node:module';
import { readRow as readPlainRow, readVariant as readPlainVariant } from '../../../shared/adapters/tablestore/ots-wire/plain-buffer-reader.ts';
import { INF_MAX, INF_MIN, PlainBufferError, type CellOp, type KeyValue } from '../../../shared/adapters/tablestore/ots-wire/plain-buffer.ts';

export type Value =
  | { t: 'INTEGER'; v: bigint }
  | { t: 'DOUBLE'; v: number }
  | { t: 'STRING'; v: string }
  | { t: 'BOOLEAN'; v: boolean }
  | { t: 'BLOB'; v: Buffer }
  | { t: 'INF_MIN' }
  | { t: 'INF_MAX' };

export type { CellOp };

export interface Cell {
  name: string;
  value?: Value;
  op: CellOp;
  timestamp?: bigint;
}

export interface ParsedRow {
  pk: { name: string; value: Value }[];
  cells: Cell[];
  deleteMarker: boolean;
}

export { PlainBufferError };

/** A value as the client's reader gives it, tagged with its Table Store type. */
function tagged(v: KeyValue): Value {
  if (v === INF_MIN) return { t: 'INF_MIN' };
  if (v === INF_MAX) return { t: 'INF_MAX' };
  if (typeof v === 'bigint') return { t: 'INTEGER', v };
  if (typeof v === 'number') return { t: 'DOUBLE', v };
  if (typeof v === 'boolean') return { t: 'BOOLEAN', v };
  if (typeof v === 'string') return { t: 'STRING', v };
  return { t: 'BLOB', v };
}

/** Reads one row of a request (header included) and verifies its checksums, with the client's own reader. */
export function readRow(buf: Buffer): ParsedRow {
  const r = readPlainRow(buf);
  return {
    pk: r.pk.map(([name, value]) => ({ name, value: tagged(value) })),
    cells: r.cells.map((c) => ({ name: c.name, op: c.op, ...(c.value !== undefined ? { value: tagged(c.value) } : {}), ...(c.timestamp !== undefined ? { timestamp: c.timestamp } : {}) })),
    deleteMarker: r.deleteMarker,
  };
}

/** A condition's column value: a type byte and the payload, no length prefix and no checksum. */
export function readVariant(buf: Buffer): Value {
  return tagged(readPlainVariant(buf));
}

// Rows going out are written with the SDK's own builder, so whatever it reads back is what it can read.
const require = createRequire(import.meta.url);
const TableStore = require('tablestore') as { PlainBufferBuilder: PlainBufferBuilder };
const { Int64LE } = require('int64-buffer') as { Int64LE: new (v: string, radix: number) => object };

interface PlainBufferBuilder {
  serializeForPutRow(pk: Record<string, unknown>[], attrs: Record<string, unknown>[]): Buffer;
  serializePrimaryKey(pk: Record<string, unknown>[]): Buffer;
}

function toSdk(v: Value): unknown {
  switch (v.t) {
    case 'INTEGER':
      return new Int64LE(v.v.toString(), 10);
    case 'INF_MIN':
    case 'INF_MAX':
      throw new PlainBufferError('infinite values are never stored');
    default:
      return v.v;
  }
}

export interface StoredRow {
  pk: { name: string; value: Value }[];
  attrs: { name: string; value: Value; ts: number }[];
}

/** Rows for a GetRow/GetRange answer: one header, then each row. */
export function writeRows(rows: StoredRow[]): Buffer {
  const parts = rows.map((row, i) => {
    const b = TableStore.PlainBufferBuilder.serializeForPutRow(
      row.pk.map((c) => ({ [c.name]: toSdk(c.value) })),
      row.attrs.map((a) => ({ [a.name]: toSdk(a.value), timestamp: a.ts })),
    );
    return i === 0 ? b : b.subarray(4);
  });
  return Buffer.concat(parts);
}

export function writePrimaryKey(pk: { name: string; value: Value }[]): Buffer {
  return TableStore.PlainBufferBuilder.serializePrimaryKey(pk.map((c) => ({ [c.name]: toSdk(c.value) })));
}
