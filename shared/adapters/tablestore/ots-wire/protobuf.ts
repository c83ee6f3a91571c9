// The protobuf (proto2) wire format, just what Table Store's messages need: a writer that emits fields in the
// order given (the order protobufjs's generated encoders use) and a reader that collects fields by number.

/** A body that is not the protobuf message it should be (truncated, garbled, a field of the wrong type). */
export class ProtoError extends Error {
  override name = 'ProtoError';
}

const VARINT = 0;
const LEN = 2;

function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));

/** Builds one message; each call appends one field. */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  /** int32 and enums: a negative value is sign-extended to ten bytes, as proto2 requires. */
  int32(field: number, value: number): this {
    this.parts.push(tag(field, VARINT), varint(BigInt(value | 0)));
    return this;
  }

  bool(field: number, value: boolean): this {
    this.parts.push(tag(field, VARINT), Buffer.from([value ? 1 : 0]));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.parts.push(tag(field, LEN), varint(BigInt(value.length)), Buffer.from(value.buffer, value.byteOffset, value.length));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The fields of one message by number, each occurrence in order: varints as bigint, length-delimited as Buffer. */
export class ProtoMessage {
  private constructor(private readonly fields: Map<number, (bigint | Buffer)[]>) {}

  static decode(buf: Buffer): ProtoMessage {
    const fields = new Map<number, (bigint | Buffer)[]>();
    let pos = 0;
    const readVarint = (): bigint => {
      let result = 0n;
      for (let shift = 0n; shift < 70n; shift += 7n) {
        if (pos >= buf.length) throw new ProtoError('truncated varint');
        const b = buf[pos++]!;
        result |= BigInt(b & 0x7f) << shift;
        if (b < 0x80) return BigInt.asUintN(64, result);
      }
      throw new ProtoError('varint longer than ten bytes');
    };
    const take = (n: number): Buffer => {
      if (n < 0 || pos + n > buf.length) throw new ProtoError('truncated field');
      const b = buf.subarray(pos, pos + n);
      pos += n;
      return b;
    };
    while (pos < buf.length) {
      const key = readVarint();
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 0) throw new ProtoError('field number 0');
      let value: bigint | Buffer;
      if (wire === VARINT) value = readVarint();
      else if (wire === LEN) value = take(Number(readVarint()));
      else if (wire === 1) value = take(8);
      else if (wire === 5) value = take(4);
      else throw new ProtoError(`unsupported wire type ${wire}`);
      const list = fields.get(field);
      if (list) list.push(value);
      else fields.set(field, [value]);
    }
    return new ProtoMessage(fields);
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  private last(field: number): bigint | Buffer | undefined {
    const list = this.fields.get(field);
    return list?.[list.length - 1];
  }

  private all(field: number): (bigint | Buffer)[] {
    return this.fields.get(field) ?? [];
  }

  bytes(field: number): Buffer | undefined {
    const v = this.last(field);
    if (v === undefined) return undefined;
    if (!Buffer.isBuffer(v)) throw new ProtoError(`field ${field} is not length-delimited`);
    return v;
  }

  string(field: number): string | undefined {
    return this.bytes(field)?.toString('utf8');
  }

  strings(field: number): string[] {
    return this.all(field).map((v) => {
      if (!Buffer.isBuffer(v)) throw new ProtoError(`field ${field} is not length-delimited`);
      return v.toString('utf8');
    });
  }

  /** int32, enums and bools. */
  int32(field: number): number | undefined {
    const v = this.last(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'bigint') throw new ProtoError(`field ${field} is not a varint`);
    return Number(BigInt.asIntN(32, v));
  }

  message(field: number): ProtoMessage | undefined {
    const b = this.bytes(field);
    return b && ProtoMessage.decode(b);
  }

  messages(field: number): ProtoMessage[] {
    return this.all(field).map((v) => {
      if (!Buffer.isBuffer(v)) throw new ProtoError(`field ${field} is not length-delimited`);
      return ProtoMessage.decode(v);
    });
  }
}
