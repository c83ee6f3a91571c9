// Answers encoded by the `tablestore` SDK's own protobuf definitions and PlainBuffer builder (what the service
// sends), read by our decoders: rows of every type, paging keys, table descriptions, and broken bodies refused.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeDescribeTable, decodeError, decodeGetRange, decodeGetRow, decodeListTable } from './ots-messages.ts';
import { readRow, readRows } from './plain-buffer-reader.ts';
import { PlainBufferError } from './plain-buffer.ts';
import { ProtoError } from './protobuf.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK ships no types; this test speaks to it raw */
const require = createRequire(import.meta.url);
const TS = require('tablestore') as any;
const pb = (require('tablestore/lib/protocol/tablestore_compiled_proto.js') as any).main.proto;
const encode = (type: string, m: object): Buffer => Buffer.from(pb[type].encode(pb[type].create(m)).finish());
const long = (s: string) => TS.Long.fromString(s, 10);
const consumed = { capacityUnit: { read: 1, write: 0 } };

const row1 = TS.PlainBufferBuilder.serializeForPutRow(
  [{ id: 'a' }, { n: long('-3') }],
  [{ s: 'héllo', timestamp: 1_700_000_000_000 }, { i: long('9007199254740993') }, { d: 2.5 }, { t: true }, { f: false }, { b: Buffer.from([0, 255]) }],
) as Buffer;
const row2 = TS.PlainBufferBuilder.serializeForPutRow([{ id: 'b' }, { n: long('4') }], [{ s: '' }]) as Buffer;

describe('answers as the SDK encodes them', () => {
  it('reads a GetRow row of every value type, INTEGER as bigint and DOUBLE as number, and no row as empty', () => {
    const row = readRow(decodeGetRow(encode('GetRowResponse', { consumed, row: row1 })));
    expect(row.pk).toEqual([['id', 'a'], ['n', -3n]]);
    expect(row.cells.map((c) => [c.name, c.value])).toEqual([
      ['s', 'héllo'],
      ['i', 9_007_199_254_740_993n],
      ['d', 2.5],
      ['t', true],
      ['f', false],
      ['b', Buffer.from([0, 255])],
    ]);
    expect(row.cells[0]?.timestamp).toBe(1_700_000_000_000n);
    expect(decodeGetRow(encode('GetRowResponse', { consumed, row: Buffer.alloc(0) }))).toHaveLength(0);
  });

  it('reads the rows of a GetRange page back to back, and the key the next page starts at', () => {
    const next = TS.PlainBufferBuilder.serializePrimaryKey([{ id: 'c' }, { n: long('5') }]);
    const page = decodeGetRange(encode('GetRangeResponse', { consumed, rows: Buffer.concat([row1, row2.subarray(4)]), nextStartPrimaryKey: next }));
    expect(readRows(page.rows).map((r) => r.pk)).toEqual([
      [['id', 'a'], ['n', -3n]],
      [['id', 'b'], ['n', 4n]],
    ]);
    expect(readRow(page.next!).pk).toEqual([['id', 'c'], ['n', 5n]]);
    const last = decodeGetRange(encode('GetRangeResponse', { consumed, rows: Buffer.alloc(0) }));
    expect([readRows(last.rows), last.next]).toEqual([[], undefined]);
  });

  it('reads ListTable, DescribeTable (key, defined columns, indexes, options, status) and Error', () => {
    expect(decodeListTable(encode('ListTableResponse', { tableNames: ['a', 'b'] }))).toEqual(['a', 'b']);
    const described = encode('DescribeTableResponse', {
      tableMeta: { tableName: 'tasks', primaryKey: [{ name: 'id', type: 2 }], definedColumn: [{ name: 'due_at', type: 1 }, { name: 'score', type: 2 }] },
      reservedThroughputDetails: { capacityUnit: { read: 0, write: 0 }, lastIncreaseTime: 0 },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      tableStatus: 3,
      indexMetas: [{ name: 'by_due', primaryKey: ['due_at', 'id'], definedColumn: [], indexUpdateMode: 0, indexType: 0 }],
    });
    expect(decodeDescribeTable(described)).toEqual({
      name: 'tasks',
      primaryKey: [{ name: 'id', type: 'STRING' }],
      definedColumns: [
        { name: 'due_at', type: 'INTEGER' },
        { name: 'score', type: 'DOUBLE' },
      ],
      indexes: [{ name: 'by_due', primaryKey: ['due_at', 'id'], definedColumns: [] }],
      timeToLive: -1,
      maxVersions: 1,
      status: 'LOADING',
    });
    expect(decodeError(encode('Error', { code: 'OTSObjectNotExist', message: 'Requested table does not exist.' }))).toEqual({ code: 'OTSObjectNotExist', message: 'Requested table does not exist.' });
  });
});

describe('broken answers', () => {
  it('refuses a truncated row, a flipped byte and a bad header with PlainBufferError', () => {
    expect(() => readRow(row1.subarray(0, row1.length - 5))).toThrow(PlainBufferError);
    const flipped = Buffer.from(row1);
    flipped[20] = flipped[20]! ^ 0x01;
    expect(() => readRow(flipped)).toThrow(PlainBufferError);
    expect(() => readRows(Buffer.from('not a plain buffer'))).toThrow(PlainBufferError);
  });

  it('refuses a truncated protobuf body with ProtoError', () => {
    const body = encode('GetRowResponse', { consumed, row: row1 });
    expect(() => decodeGetRow(body.subarray(0, body.length - 3))).toThrow(ProtoError);
    expect(() => decodeError(Buffer.from([0x0a]))).toThrow(ProtoError);
  });
});
