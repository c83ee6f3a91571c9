// PlainBuffer, Table Store's row encoding: the values, the CRC-8 on every cell and row, and the rows a request
// carries (a primary key, a PutRow, an UpdateRow, a DeleteRow, a condition's value), byte for byte as the SDK writes them.

/** A cell value: bigint is INTEGER (int64), number is DOUBLE, Buffer is BINARY. */
export type OtsValue = string | bigint | number | boolean | Buffer;
/** Bounds of a range: below and above every value of a primary-key column. */
export const INF_MIN = Symbol('INF_MIN');
export const INF_MAX = Symbol('INF_MAX');
export type KeyValue = OtsValue | typeof INF_MIN | typeof INF_MAX;
/** Primary-key columns in schema order. */
export type PrimaryKey = [string, KeyValue][];

export type CellOp = 'PUT' | 'DELETE_ONE' | 'DELETE_ALL' | 'INCREMENT';
/** One attribute cell of an UpdateRow: put or incremented (by an INTEGER), or every version deleted. */
export type CellChange = { name: string; op: 'PUT'; value: OtsValue } | { name: string; op: 'INCREMENT'; value: bigint } | { name: string; op: 'DELETE_ALL' };

export class PlainBufferError extends Error {
  override name = 'PlainBufferError';
}

export const HEADER = 0x75;
export const TAG = { PK: 1, DATA: 2, CELL: 3, NAME: 4, VALUE: 5, TYPE: 6, TS: 7, DELETE: 8, ROW_CRC: 9, CELL_CRC: 10 } as const;
export const VT = { INTEGER: 0, DOUBLE: 1, BOOLEAN: 2, STRING: 3, BLOB: 7, INF_MIN: 9, INF_MAX: 10 } as const;
/** The cell operation byte of an UpdateRow cell (PUT has none). */
export const OP_BYTE: Record<Exclude<CellOp, 'PUT'>, number> = { DELETE_ALL: 1, DELETE_ONE: 3, INCREMENT: 4 };

/** CRC-8 (polynomial 0x07), the checksum PlainBuffer puts on every cell and row. */
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  return c;
});
export const crcByte = (crc: number, b: number): number => CRC_TABLE[(crc ^ b) & 0xff]!;
export const crcBytes = (crc: number, bytes: Uint8Array): number => {
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]!;
  return crc;
};

const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const int64 = (v: bigint): Buffer => {
  if (v !== BigInt.asIntN(64, v)) throw new PlainBufferError(`INTEGER ${v} does not fit in 64 bits`);
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
};
const double = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
};

/** A value's type byte and payload, as a condition carries it and as a cell wraps it (no length, no checksum). */
function variant(v: KeyValue): { type: number; payload: Buffer } {
  if (v === INF_MIN) return { type: VT.INF_MIN, payload: Buffer.alloc(0) };
  if (v === INF_MAX) return { type: VT.INF_MAX, payload: Buffer.alloc(0) };
  if (typeof v === 'bigint') return { type: VT.INTEGER, payload: int64(v) };
  if (typeof v === 'number') return { type: VT.DOUBLE, payload: double(v) };
  if (typeof v === 'boolean') return { type: VT.BOOLEAN, payload: Buffer.from([v ? 1 : 0]) };
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return { type: VT.STRING, payload: Buffer.concat([le32(s.length), s]) };
  }
  if (Buffer.isBuffer(v)) return { type: VT.BLOB, payload: Buffer.concat([le32(v.length), v]) };
  throw new PlainBufferError(`unsupported value of type ${typeof v}`);
}

/** A condition's column value (SingleColumnValueFilter.column_value). */
export function encodeVariant(v: OtsValue): Buffer {
  const { type, payload } = variant(v);
  return Buffer.concat([Buffer.from([type]), payload]);
}

class RowWriter {
  private readonly parts: Buffer[] = [le32(HEADER)];
  private rowCrc = 0;
  /**
   * The SDK sizes an INF_MIN/INF_MAX cell one byte too long and sends the zeroed byte after the row checksum, which
   * the service has always accepted; sent here too, so a range request is byte for byte what it always was.
   */
  private padding = 0;

  tag(t: number): void {
    this.parts.push(Buffer.from([t]));
  }

  cell(name: string, value: KeyValue | undefined, op: CellOp = 'PUT'): void {
    const n = Buffer.from(name, 'utf8');
    this.parts.push(Buffer.from([TAG.CELL, TAG.NAME]), le32(n.length), n);
    let crc = crcBytes(0, n);
    if (value !== undefined) {
      const { type, payload } = variant(value);
      this.parts.push(Buffer.from([TAG.VALUE]), le32(1 + payload.length), Buffer.from([type]), payload);
      crc = crcBytes(crcByte(crc, type), payload);
      if (value === INF_MIN || value === INF_MAX) this.padding += 1;
    }
    if (op !== 'PUT') {
      this.parts.push(Buffer.from([TAG.TYPE, OP_BYTE[op]]));
      crc = crcByte(crc, OP_BYTE[op]);
    }
    this.parts.push(Buffer.from([TAG.CELL_CRC, crc]));
    this.rowCrc = crcByte(this.rowCrc, crc);
  }

  primaryKey(pk: PrimaryKey): void {
    this.tag(TAG.PK);
    for (const [name, value] of pk) this.cell(name, value);
  }

  finish(deleteMarker = false): Buffer {
    if (deleteMarker) this.tag(TAG.DELETE);
    this.parts.push(Buffer.from([TAG.ROW_CRC, crcByte(this.rowCrc, deleteMarker ? 1 : 0)]), Buffer.alloc(this.padding));
    return Buffer.concat(this.parts);
  }
}

/** A primary key alone (GetRow, GetRange bounds). */
export function encodePrimaryKey(pk: PrimaryKey): Buffer {
  const w = new RowWriter();
  w.primaryKey(pk);
  return w.finish();
}

/** A whole row (PutRow): the key and every attribute. */
export function encodePutRow(pk: PrimaryKey, columns: [string, OtsValue][]): Buffer {
  const w = new RowWriter();
  w.primaryKey(pk);
  if (columns.length > 0) {
    w.tag(TAG.DATA);
    for (const [name, value] of columns) w.cell(name, value);
  }
  return w.finish();
}

/** A row change (UpdateRow): cells in order, each put, deleted or incremented. */
export function encodeUpdateRow(pk: PrimaryKey, cells: CellChange[]): Buffer {
  const w = new RowWriter();
  w.primaryKey(pk);
  if (cells.length > 0) {
    w.tag(TAG.DATA);
    for (const c of cells) w.cell(c.name, c.op === 'DELETE_ALL' ? undefined : c.value, c.op);
  }
  return w.finish();
}

/** A key with the delete marker (DeleteRow). */
export function encodeDeleteRow(pk: PrimaryKey): Buffer {
  const w = new RowWriter();
  w.primaryKey(pk);
  return w.finish(true);
}
