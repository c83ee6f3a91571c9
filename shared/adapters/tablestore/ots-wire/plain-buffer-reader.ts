// Reads PlainBuffer rows and verifies every cell and row checksum: the rows of a GetRow/GetRange answer, and (for
// the stand-in) the rows a request carries, whose UpdateRow cells may hold an operation.
import { crcByte, crcBytes, HEADER, INF_MAX, INF_MIN, OP_BYTE, PlainBufferError, TAG, VT, type CellOp, type KeyValue } from './plain-buffer.ts';

export interface ReadCell {
  name: string;
  /** Absent on a cell that deletes. */
  value?: KeyValue;
  op: CellOp;
  timestamp?: bigint;
}

export interface ReadRow {
  pk: [string, KeyValue][];
  cells: ReadCell[];
  deleteMarker: boolean;
}

const OPS = new Map<number, CellOp>(Object.entries(OP_BYTE).map(([op, b]) => [b, op as CellOp]));

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
  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
  /** The last tag read (a call, so the compiler does not narrow it across nextTag()). */
  cur(): number {
    return this.tag;
  }
  nextTag(): number {
    this.tag = this.atEnd() ? 0 : this.byte();
    return this.tag;
  }
}

/** Reads one TAG_CELL_VALUE payload; returns the value and the cell checksum folded over it. */
function readValue(r: Reader, crc: number): { value: KeyValue; crc: number } {
  r.u32(); // total length of type + payload; each type has its own fixed or prefixed size
  const type = r.byte();
  crc = crcByte(crc, type);
  switch (type) {
    case VT.INTEGER: {
      const b = r.bytes(8);
      return { value: b.readBigInt64LE(), crc: crcBytes(crc, b) };
    }
    case VT.DOUBLE: {
      const b = r.bytes(8);
      return { value: b.readDoubleLE(), crc: crcBytes(crc, b) };
    }
    case VT.BOOLEAN: {
      const b = r.byte();
      return { value: b !== 0, crc: crcByte(crc, b !== 0 ? 1 : 0) };
    }
    case VT.STRING:
    case VT.BLOB: {
      const len = r.bytes(4);
      const b = r.bytes(len.readUInt32LE());
      crc = crcBytes(crcBytes(crc, len), b);
      return { value: type === VT.STRING ? b.toString('utf8') : Buffer.from(b), crc };
    }
    case VT.INF_MIN:
      return { value: INF_MIN, crc };
    case VT.INF_MAX:
      return { value: INF_MAX, crc };
    default:
      throw new PlainBufferError(`unsupported value type ${type}`);
  }
}

function readCell(r: Reader): { cell: ReadCell; crc: number } {
  if (r.nextTag() !== TAG.NAME) throw new PlainBufferError(`expected a cell name, got tag ${r.cur()}`);
  const name = r.bytes(r.u32()).toString('utf8');
  let crc = crcBytes(0, Buffer.from(name, 'utf8'));
  const cell: ReadCell = { name, op: 'PUT' };
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
    const op = OPS.get(opByte);
    if (!op) throw new PlainBufferError(`unknown cell operation ${opByte}`);
    cell.op = op;
    r.nextTag();
  }
  if (r.cur() === TAG.TS) {
    const b = r.bytes(8);
    cell.timestamp = b.readBigInt64LE();
    crc = crcBytes(crc, b);
    r.nextTag();
  }
  // the operation is folded in after the timestamp, whatever order the tags came in
  if (opByte !== undefined) crc = crcByte(crc, opByte);
  if (r.cur() !== TAG.CELL_CRC) throw new PlainBufferError(`expected a cell checksum, got tag ${r.cur()}`);
  if (r.byte() !== crc) throw new PlainBufferError(`cell ${name}: checksum mismatch`);
  r.nextTag();
  return { cell, crc };
}

/** One row from the tag after the header (or after the previous row) through its checksum. */
function readRowBody(r: Reader): ReadRow {
  const row: ReadRow = { pk: [], cells: [], deleteMarker: false };
  let rowCrc = 0;
  if (r.cur() === TAG.PK) {
    r.nextTag();
    while (r.cur() === TAG.CELL) {
      const { cell, crc } = readCell(r);
      if (cell.value === undefined) throw new PlainBufferError(`primary key ${cell.name} has no value`);
      row.pk.push([cell.name, cell.value]);
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
  return row;
}

function header(buf: Buffer): Reader {
  const r = new Reader(buf);
  if (r.u32() !== HEADER) throw new PlainBufferError('bad PlainBuffer header');
  r.nextTag();
  return r;
}

/** One row (header included). Nothing after its checksum is read: the SDK pads a key holding INF_MIN/INF_MAX. */
export function readRow(buf: Buffer): ReadRow {
  return readRowBody(header(buf));
}

/** Every row of an answer: one header, then the rows back to back; an empty buffer holds none. */
export function readRows(buf: Buffer): ReadRow[] {
  if (buf.length === 0) return [];
  const r = header(buf);
  const rows: ReadRow[] = [];
  for (;;) {
    rows.push(readRowBody(r));
    if (r.nextTag() === 0 && r.atEnd()) return rows;
  }
}

/** A condition's column value: a type byte and the payload, no length prefix and no checksum. */
export function readVariant(buf: Buffer): KeyValue {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(buf.length);
  return readValue(new Reader(Buffer.concat([len, buf])), 0).value;
}
