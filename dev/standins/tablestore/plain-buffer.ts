// PlainBuffer rows as a Table Store server reads them: the SDK's own reader cannot read UpdateRow cells that
// carry an operation (delete, increment), and writes rows with checksums a server must verify, so this is ours.
import { createRequire } from 'node:module';

export type Value =
  | { t: 'INTEGER'; v: bigint }
  | { t: 'DOUBLE'; v: number }
  | { t: 'STRING'; v: string }
  | { t: 'BOOLEAN'; v: boolean }
  | { t: 'BLOB'; v: Buffer }
  | { t: 'INF_MIN' }
  | { t: 'INF_MAX' };

export type CellOp = 'PUT' | 'DELETE_ONE' | 'DELETE_ALL' | 'INCREMENT';

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

export class PlainBufferError extends Error {
  override name = 'PlainBufferError';
}

const HEADER = 0x75;
const TAG = { PK: 1, DATA: 2, CELL: 3, NAME: 4, VALUE: 5, TYPE: 6, TS: 7, DELETE: 8, ROW_CRC: 9, CELL_CRC: 10 } as const;
const VT = { INTEGER: 0, DOUBLE: 1, BOOLEAN: 2, STRING: 3, BLOB: 7, INF_MIN: 9, INF_MAX: 10 } as const;
const OPS: Record<number, CellOp> = { 1: 'DELETE_ALL', 3: 'DELETE_ONE', 4: 'INCREMENT' };

/** CRC-8 (polynomial 0x07), the checksum PlainBuffer puts on every cell and row. */
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  return c;
});
const crc8 = (crc: number, bytes: Uint8Array): number => {
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]!;
  return crc;
};
const crcByte = (crc: number, b: number): number => CRC_TABLE[(crc ^ b) & 0xff]!;
const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

class Reader {
  pos = 0;
  tag = 0;
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new PlainBufferError('unexpected end of PlainBuffer');
    return this.buf[this.pos++]!;
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new PlainBufferError('unexpected end of PlainBuffer');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  u32(): number {
    return this.bytes(4).readUInt32LE();
  }
  /** The last tag read (a call, so the compiler does not narrow it across nextTag()). */
  cur(): number {
    return this.tag;
  }
  nextTag(): number {
    this.tag = this.pos >= this.buf.length ? 0 : this.byte();
    return this.tag;
  }
}

/** Reads one TAG_CELL_VALUE payload; returns the value and the cell checksum folded over it. */
function readValue(r: Reader, crc: number): { value: Value; crc: number } {
  r.u32(); // total length of type + payload; each type has its own fixed or prefixed size
  const type = r.byte();
  crc = crcByte(crc, type);
  switch (type) {
    case VT.INTEGER: {
      const b = r.bytes(8);
      return { value: { t: 'INTEGER', v: b.readBigInt64LE() }, crc: crc8(crc, b) };
    }
    case VT.DOUBLE: {
      const b = r.bytes(8);
      return { value: { t: 'DOUBLE', v: b.readDoubleLE() }, crc: crc8(crc, b) };
    }
    case VT.BOOLEAN: {
      const b = r.byte();
      return { value: { t: 'BOOLEAN', v: b !== 0 }, crc: crcByte(crc, b !== 0 ? 1 : 0) };
    }
    case VT.STRING:
    case VT.BLOB: {
      const n = r.u32();
      const b = r.bytes(n);
      crc = crc8(crc8(crc, le32(n)), b);
      return { value: type === VT.STRING ? { t: 'STRING', v: b.toString('utf8') } : { t: 'BLOB', v: Buffer.from(b) }, crc };
    }
    case VT.INF_MIN:
      return { value: { t: 'INF_MIN' }, crc };
    case VT.INF_MAX:
      return { value: { t: 'INF_MAX' }, crc };
    default:
      throw new PlainBufferError(`unsupported value type ${type}`);
  }
}

function readCell(r: Reader): { cell: Cell; crc: number } {
  if (r.nextTag() !== TAG.NAME) throw new PlainBufferError(`expected a cell name, got tag ${r.cur()}`);
  const name = r.bytes(r.u32()).toString('utf8');
  let crc = crc8(0, Buffer.from(name, 'utf8'));
  const cell: Cell = { name, op: 'PUT' };
  r.nextTag();
  if (r.cur() === TAG.VALUE) {
    const v = readValue(r, crc);
    cell.value = v.value;
    crc = v.crc;
    r.nextTag();
  }
  let opByte: number | undefined;
  if (r.cur() === TAG.TYPE) {
    opByte = r.byte();
    const op = OPS[opByte];
    if (!op) throw new PlainBufferError(`unknown cell operation ${opByte}`);
    cell.op = op;
    r.nextTag();
  }
  if (r.cur() === TAG.TS) {
    const b = r.bytes(8);
    cell.timestamp = b.readBigInt64LE();
    crc = crc8(crc, b);
    r.nextTag();
  }
  // the SDK folds the operation in after the timestamp, whatever order the tags came in
  if (opByte !== undefined) crc = crcByte(crc, opByte);
  if (r.cur() !== TAG.CELL_CRC) throw new PlainBufferError(`expected a cell checksum, got tag ${r.cur()}`);
  const sent = r.byte();
  if (sent !== crc) throw new PlainBufferError(`cell ${name}: checksum mismatch`);
  r.nextTag();
  return { cell, crc };
}

/** Reads one row (header included) and verifies its checksums. */
export function readRow(buf: Buffer): ParsedRow {
  const r = new Reader(buf);
  if (r.u32() !== HEADER) throw new PlainBufferError('bad PlainBuffer header');
  r.nextTag();
  const row: ParsedRow = { pk: [], cells: [], deleteMarker: false };
  let rowCrc = 0;
  if (r.cur() === TAG.PK) {
    r.nextTag();
    while (r.cur() === TAG.CELL) {
      const { cell, crc } = readCell(r);
      if (!cell.value) throw new PlainBufferError(`primary key ${cell.name} has no value`);
      row.pk.push({ name: cell.name, value: cell.value });
      rowCrc = crcByte(rowCrc, crc);
    }
  }
  if (r.cur() === TAG.DATA) {
    r.nextTag();
    while (r.cur() === TAG.CELL) {
      const { cell, crc } = readCell(r);
      row.cells.push(cell);
      rowCrc = crcByte(rowCrc, crc);
    }
  }
  if (r.cur() === TAG.DELETE) {
    row.deleteMarker = true;
    r.nextTag();
  }
  rowCrc = crcByte(rowCrc, row.deleteMarker ? 1 : 0);
  if (r.cur() !== TAG.ROW_CRC) throw new PlainBufferError(`expected a row checksum, got tag ${r.cur()}`);
  if (r.byte() !== rowCrc) throw new PlainBufferError('row checksum mismatch');
  // nothing after the checksum is read: the SDK sizes a key holding INF_MIN/INF_MAX one byte too long
  return row;
}

/** A condition's column value: a type byte and the payload, no length prefix and no checksum. */
export function readVariant(buf: Buffer): Value {
  const r = new Reader(Buffer.concat([le32(buf.length), buf]));
  return readValue(r, 0).value;
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
