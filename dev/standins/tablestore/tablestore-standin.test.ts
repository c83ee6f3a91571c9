// The stand-in driven by the real SDK: what it must get right for the adapter's tests to mean anything
// (signatures, Long versus double in conditions, UpdateRow operations, range paging, the lagging index).
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TablestoreStandin, TEST_CREDENTIALS } from './tablestore-standin.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK ships no types; this test speaks to it raw */
const TS = createRequire(import.meta.url)('tablestore') as any;

describe('TablestoreStandin over the SDK', () => {
  let standin: TablestoreStandin;
  let client: any;
  const row = (id: string) => ({ tableName: 't', primaryKey: [{ id }], maxVersions: 1 });
  const ifVersion = (v: unknown) => new TS.Condition(TS.RowExistenceExpectation.EXPECT_EXIST, new TS.SingleColumnCondition('v', v, TS.ComparatorType.EQUAL, false));
  const codeOf = (e: any) => /(OTS\w+)/.exec(String(e?.message))?.[1];

  beforeEach(async () => {
    standin = await new TablestoreStandin({ maxRangeRows: 2 }).start();
    client = new TS.Client({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: TEST_CREDENTIALS.accessKeySecret, endpoint: standin.endpoint, instancename: standin.instance });
    await client.createTable({
      tableMeta: { tableName: 't', primaryKey: [{ name: 'id', type: 'STRING' }], definedColumn: [{ name: 'due', type: TS.DefinedColumnType.DCT_INTEGER }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      indexMetas: [{ name: 't_due', primaryKey: ['due'], definedColumn: [] }],
    });
  });
  afterEach(async () => {
    await standin.stop();
  });

  it('answers a failed condition with 403 and a protobuf OTSConditionCheckFail, and never matches a double against an INTEGER', async () => {
    await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: TS.Long.fromNumber(1) }] });
    const again = await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'a' }], attributeColumns: [] }).catch((e: unknown) => e);
    expect([again.code, codeOf(again)]).toEqual([403, 'OTSConditionCheckFail']);
    const asDouble = await client.updateRow({ tableName: 't', condition: ifVersion(1), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ s: 'x' }] }] }).catch((e: unknown) => e);
    expect(codeOf(asDouble)).toBe('OTSConditionCheckFail');
    await client.updateRow({ tableName: 't', condition: ifVersion(TS.Long.fromNumber(1)), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ s: 'x' }] }] });
    expect((await client.getRow(row('a'))).row.attributes.find((a: any) => a.columnName === 's').columnValue).toBe('x');
  });

  it('applies UpdateRow PUT, DELETE_ALL and INCREMENT cells, and a missing column passes only with passIfMissing', async () => {
    await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: TS.Long.fromNumber(1) }, { gone: 'soon' }] });
    await client.updateRow({ tableName: 't', condition: ifVersion(TS.Long.fromNumber(1)), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ s: 'héllo' }] }, { DELETE_ALL: ['gone'] }, { INCREMENT: [{ v: TS.Long.fromNumber(1) }] }] });
    const attrs = (await client.getRow(row('a'))).row.attributes.map((a: any) => [a.columnName, String(a.columnValue)]);
    expect(attrs.sort()).toEqual([['s', 'héllo'], ['v', '2']]);
    const strict = new TS.Condition(TS.RowExistenceExpectation.IGNORE, new TS.SingleColumnCondition('nope', TS.Long.fromNumber(1), TS.ComparatorType.EQUAL, false));
    expect(codeOf(await client.updateRow({ tableName: 't', condition: strict, primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ s: 'y' }] }] }).catch((e: unknown) => e))).toBe('OTSConditionCheckFail');
    const lenient = new TS.Condition(TS.RowExistenceExpectation.IGNORE, new TS.SingleColumnCondition('nope', TS.Long.fromNumber(1), TS.ComparatorType.EQUAL, true));
    await client.updateRow({ tableName: 't', condition: lenient, primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ s: 'y' }] }] });
  });

  it('pages GetRange forwards and backwards with the next start key', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id }], attributeColumns: [{ due: TS.Long.fromNumber(id.charCodeAt(0)) }] });
    const scan = async (direction: string, start: unknown, end: unknown) => {
      const ids: string[] = [];
      let from: any = [{ id: start }];
      while (from) {
        const r = await client.getRange({ tableName: 't', direction, inclusiveStartPrimaryKey: from, exclusiveEndPrimaryKey: [{ id: end }], limit: 10 });
        ids.push(...r.rows.map((x: any) => x.primaryKey[0].value));
        from = r.nextStartPrimaryKey?.map((c: any) => ({ [c.name]: c.value }));
      }
      return ids;
    };
    expect(await scan('FORWARD', TS.INF_MIN, TS.INF_MAX)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await scan('BACKWARD', 'd', 'a')).toEqual(['d', 'c', 'b']);
  });

  it('keeps the global index behind the table while it is held', async () => {
    standin.holdIndexes(true);
    await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ due: TS.Long.fromNumber(5) }] });
    const range = { tableName: 't_due', direction: 'FORWARD', inclusiveStartPrimaryKey: [{ due: TS.INF_MIN }, { id: TS.INF_MIN }], exclusiveEndPrimaryKey: [{ due: TS.INF_MAX }, { id: TS.INF_MAX }] };
    expect((await client.getRange(range)).rows).toHaveLength(0);
    standin.holdIndexes(false);
    expect((await client.getRange(range)).rows.map((r: any) => r.primaryKey.map((c: any) => String(c.value)))).toEqual([['5', 'a']]);
  });

  it('refuses a bare JS number (DOUBLE) written to a column declared INTEGER, and describes the declared types', async () => {
    const e = await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ due: 5 }] }).catch((x: unknown) => x);
    expect([e.code, codeOf(e)]).toEqual([400, 'OTSParameterInvalid']);
    const d = await client.describeTable({ tableName: 't' });
    expect(d.tableMeta.definedColumn.map((c: any) => [c.name, c.type])).toEqual([['due', TS.DefinedColumnType.DCT_INTEGER]]);
    expect(d.indexMetas.map((i: any) => i.name)).toEqual(['t_due']);
  });

  it('lists tables without their indexes, and adds an index holding the rows already there with includeBaseData', async () => {
    await client.putRow({ tableName: 't', condition: new TS.Condition(TS.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ due: TS.Long.fromNumber(7) }] });
    await client.createIndex({ mainTableName: 't', indexMeta: { name: 't_due2', primaryKey: ['due'], definedColumn: [] }, includeBaseData: true });
    expect((await client.listTable({})).tableNames).toEqual(['t']);
    expect((await client.describeTable({ tableName: 't' })).indexMetas.map((i: any) => i.name)).toEqual(['t_due', 't_due2']);
    const range = { tableName: 't_due2', direction: 'FORWARD', inclusiveStartPrimaryKey: [{ due: TS.INF_MIN }, { id: TS.INF_MIN }], exclusiveEndPrimaryKey: [{ due: TS.INF_MAX }, { id: TS.INF_MAX }] };
    expect((await client.getRange(range)).rows.map((r: any) => r.primaryKey.map((c: any) => String(c.value)))).toEqual([['7', 'a']]);
    const again = await client.createIndex({ mainTableName: 't', indexMeta: { name: 't_due2', primaryKey: ['due'], definedColumn: [] } }).catch((e: unknown) => e);
    expect([again.code, codeOf(again)]).toEqual([409, 'OTSObjectAlreadyExist']);
  });

  it('applies a BatchWriteRow row by row, answering each row and the counters asked for after an increment', async () => {
    const ignore = new TS.Condition(TS.RowExistenceExpectation.IGNORE, null);
    await client.putRow({ tableName: 't', condition: ignore, primaryKey: [{ id: 'a' }], attributeColumns: [{ n: TS.Long.fromNumber(5) }] });
    for (const id of ['b', 'gone']) await client.putRow({ tableName: 't', condition: ignore, primaryKey: [{ id }], attributeColumns: [] });
    const r = await client.batchWriteRow({
      tables: [
        {
          tableName: 't',
          rows: [
            { type: 'UPDATE', condition: ignore, primaryKey: [{ id: 'a' }], attributeColumns: [{ INCREMENT: [{ n: TS.Long.fromNumber(3) }, { m: TS.Long.fromNumber(0) }] }], returnContent: { returnType: TS.ReturnType.AfterModify, returnColumns: ['n', 'm'] } },
            { type: 'PUT', condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'b' }], attributeColumns: [{ s: 'x' }] },
            { type: 'DELETE', condition: new TS.Condition(TS.RowExistenceExpectation.EXPECT_EXIST, null), primaryKey: [{ id: 'gone' }], attributeColumns: [] },
          ],
        },
      ],
    });
    expect(r.tables.map((x: any) => [x.isOk, x.errorCode])).toEqual([
      [true, null],
      [false, 'OTSConditionCheckFail'],
      [true, null],
    ]);
    expect(r.tables[0].attributes.map((a: any) => [a.columnName, String(a.columnValue)]).sort()).toEqual([['m', '0'], ['n', '8']]);
    expect((await client.getRow(row('gone'))).row).toEqual({});
    // a counter's row twice in one batch is refused whole, before anything is applied
    const twice = await client
      .batchWriteRow({ tables: [{ tableName: 't', rows: [0, 1].map(() => ({ type: 'UPDATE', condition: ignore, primaryKey: [{ id: 'a' }], attributeColumns: [{ INCREMENT: [{ n: TS.Long.fromNumber(1) }] }] })) }] })
      .catch((e: unknown) => e);
    expect(codeOf(twice)).toBe('OTSParameterInvalid');
    expect(String((await client.getRow(row('a'))).row.attributes.find((a: any) => a.columnName === 'n').columnValue)).toBe('8');
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrong = new TS.Client({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret', endpoint: standin.endpoint, instancename: standin.instance });
    const e = await wrong.getRow(row('a')).catch((x: unknown) => x);
    expect([e.code, codeOf(e)]).toEqual([403, 'OTSAuthFailed']);
  });
});
