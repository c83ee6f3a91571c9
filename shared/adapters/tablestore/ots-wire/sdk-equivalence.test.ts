// Our client and the `tablestore` SDK (a dev dependency) send the same request for the same call: both are pointed
// at a recording server, and the paths, protobuf bodies (so the PlainBuffer rows inside) and x-ots-* headers compared.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INF_MAX, INF_MIN, TablestoreClient, type KeyValue, type OtsCredentials, type PrimaryKey } from '../tablestore-client.ts';
import { guardTableNames, guardTableSpecs } from '../guard-tables.ts';
import { taskTableNames, taskTableSpecs } from '../task-tables.ts';
import { encodeDeleteRow, encodePrimaryKey, encodePutRow, encodeUpdateRow, encodeVariant, type OtsValue } from './plain-buffer.ts';
import { signedHeaders } from './ots-signer.ts';
import { ProtoWriter } from './protobuf.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK ships no types; this test speaks to it raw */
const TS = createRequire(import.meta.url)('tablestore') as any;
TS.DefaultRetryPolicy.maxRetryTimes = 0;

const KEY: OtsCredentials = { accessKeyId: 'LTAI-equivalence-key', accessKeySecret: 'equivalence-secret-0123' };
const STS: OtsCredentials = { accessKeyId: 'STS.equivalence', accessKeySecret: 'sts-secret-0123', securityToken: 'sts-token-abc/+=' };
const INSTANCE = 'equiv';

interface Recorded {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const sdkValue = (v: KeyValue): unknown => (v === INF_MIN ? TS.INF_MIN : v === INF_MAX ? TS.INF_MAX : typeof v === 'bigint' ? TS.Long.fromString(v.toString(), 10) : v);
const sdkPk = (pk: PrimaryKey) => pk.map(([n, v]) => ({ [n]: sdkValue(v) }));
const sdkCols = (cols: [string, OtsValue][]) => cols.map(([n, v]) => ({ [n]: sdkValue(v) }));
const xots = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).filter(([n]) => n.startsWith('x-ots-')));

// every value type, at the edges of its range
const ALL_TYPES: [string, OtsValue][] = [
  ['s', 'héllo ✓'],
  ['empty', ''],
  ['i', 42n],
  ['neg', -7n],
  ['big', 9_007_199_254_740_993n],
  ['min', -(2n ** 63n)],
  ['d', 1.5],
  ['negd', -0.25],
  ['t', true],
  ['f', false],
  ['bin', Buffer.from([0, 1, 254, 255])],
];

let server: Server;
let endpoint = '';
const recorded: Recorded[] = [];

beforeAll(async () => {
  const refusal = new ProtoWriter().string(1, 'OTSParameterInvalid').string(2, 'recorded').finish();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      recorded.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      // a 400 ends both clients' calls at once, without a retry and without decoding anything
      res.writeHead(400, { 'content-length': refusal.length }).end(refusal);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The request the SDK sends for `call`, and ours for `ours`, with the same credentials. */
async function both(credentials: OtsCredentials, call: (sdk: any) => Promise<unknown>, ours: (c: TablestoreClient) => Promise<unknown>): Promise<[Recorded, Recorded]> {
  const sdk = new TS.Client({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
    ...(credentials.securityToken ? { stsToken: credentials.securityToken } : {}),
    endpoint,
    instancename: INSTANCE,
  });
  const client = new TablestoreClient({ endpoint, instance: INSTANCE, credentials: () => credentials, maxAttempts: 1 });
  recorded.length = 0;
  await call(sdk).catch(() => undefined);
  await ours(client).catch(() => undefined);
  expect(recorded).toHaveLength(2);
  return [recorded[0]!, recorded[1]!];
}

/** Same path and body; every x-ots-* header equal once ours is signed with the SDK's date. */
function expectSameRequest([sdk, ours]: [Recorded, Recorded], credentials: OtsCredentials): void {
  expect(ours.path).toBe(sdk.path);
  expect(ours.body.toString('hex')).toBe(sdk.body.toString('hex'));
  const { 'x-ots-date': date, 'x-ots-signature': _sig, ...rest } = xots(sdk.headers);
  const { 'x-ots-date': _d, 'x-ots-signature': _s, ...oursRest } = xots(ours.headers);
  expect(oursRest).toEqual(rest);
  const resigned = signedHeaders({ operation: sdk.path.slice(1), instance: INSTANCE, body: ours.body, credentials, date: new Date(String(date)) });
  expect(resigned).toEqual(xots(sdk.headers));
}

const cond = (row: 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST', column?: { name: string; equals: OtsValue; passIfMissing: boolean }) =>
  new TS.Condition(TS.RowExistenceExpectation[row], column ? new TS.SingleColumnCondition(column.name, sdkValue(column.equals), TS.ComparatorType.EQUAL, column.passIfMissing) : null);

describe('requests byte for byte as the SDK sends them', () => {
  const pk: PrimaryKey = [['id', 'task_1']];
  const mixedPk: PrimaryKey = [['part', 7n], ['name', 'é'], ['raw', Buffer.from('k')]];

  it('GetRow, with and without columnsToGet, over a key of every primary-key type', async () => {
    expectSameRequest(await both(KEY, (s) => s.getRow({ tableName: 'tasks', primaryKey: sdkPk(pk), maxVersions: 1 }), (c) => c.getRow('tasks', pk)), KEY);
    const cols = ['data', 'version'];
    expectSameRequest(
      await both(KEY, (s) => s.getRow({ tableName: 't2', primaryKey: sdkPk(mixedPk), maxVersions: 1, columnsToGet: cols }), (c) => c.getRow('t2', mixedPk, cols)),
      KEY,
    );
  });

  it('PutRow with every value type, EXPECT_NOT_EXIST, and signed with an STS token', async () => {
    const pair = await both(
      STS,
      (s) => s.putRow({ tableName: 'tasks', primaryKey: sdkPk(pk), attributeColumns: sdkCols(ALL_TYPES), condition: cond('EXPECT_NOT_EXIST') }),
      (c) => c.putRow('tasks', pk, Object.fromEntries(ALL_TYPES), { row: 'EXPECT_NOT_EXIST' }),
    );
    expect(pair[0].headers['x-ots-ststoken']).toBe(STS.securityToken);
    expectSameRequest(pair, STS);
  });

  it('PutRow and DeleteRow under a column condition, passIfMissing both ways and every value type compared', async () => {
    for (const [name, equals] of ALL_TYPES) {
      for (const passIfMissing of [false, true]) {
        const column = { name, equals, passIfMissing };
        expectSameRequest(
          await both(
            KEY,
            (s) => s.putRow({ tableName: 'tasks', primaryKey: sdkPk(pk), attributeColumns: [], condition: cond('IGNORE', column) }),
            (c) => c.putRow('tasks', pk, {}, { row: 'IGNORE', column }),
          ),
          KEY,
        );
      }
    }
    const column = { name: 'version', equals: 3n, passIfMissing: false };
    expectSameRequest(
      await both(KEY, (s) => s.deleteRow({ tableName: 'tasks', primaryKey: sdkPk(mixedPk), condition: cond('EXPECT_EXIST', column) }), (c) => c.deleteRow('tasks', mixedPk, { row: 'EXPECT_EXIST', column })),
      KEY,
    );
  });

  it('UpdateRow with PUT, DELETE_ALL and INCREMENT cells, as the task store sends it', async () => {
    const column = { name: 'version', equals: 1n, passIfMissing: false };
    const put = ALL_TYPES.slice(0, 6);
    expectSameRequest(
      await both(
        KEY,
        (s) =>
          s.updateRow({
            tableName: 'tasks',
            primaryKey: sdkPk(pk),
            updateOfAttributeColumns: [{ PUT: sdkCols(put) }, { DELETE_ALL: ['due_at', 'lease_until'] }, { INCREMENT: [{ n: TS.Long.fromString('2', 10) }] }],
            condition: cond('EXPECT_EXIST', column),
          }),
        (c) => c.updateRow('tasks', pk, { put: Object.fromEntries(put), deleteAll: ['due_at', 'lease_until'], increment: { n: 2n } }, { row: 'EXPECT_EXIST', column }),
      ),
      KEY,
    );
  });

  it('GetRange forwards from INF_MIN to INF_MAX and backwards between values, with a limit and columns', async () => {
    const low: PrimaryKey = [['status', 'QUEUED'], ['created_at', INF_MIN], ['id', INF_MIN]];
    const high: PrimaryKey = [['status', 'QUEUED'], ['created_at', INF_MAX], ['id', INF_MAX]];
    const sdkRange = (start: PrimaryKey, end: PrimaryKey, direction: string, extra: object) => (s: any) =>
      s.getRange({ tableName: 'tasks_by_status', direction: TS.Direction[direction], inclusiveStartPrimaryKey: sdkPk(start), exclusiveEndPrimaryKey: sdkPk(end), maxVersions: 1, ...extra });
    expectSameRequest(await both(KEY, sdkRange(low, high, 'FORWARD', { limit: 101 }), (c) => c.getRange('tasks_by_status', { start: low, end: high, limit: 101 })), KEY);
    const from: PrimaryKey = [['status', 'QUEUED'], ['created_at', 1_700_000_000_000n], ['id', 'task_9']];
    expectSameRequest(
      await both(KEY, sdkRange(from, low, 'BACKWARD', { limit: 3, columnsToGet: ['lease_until'] }), (c) => c.getRange('tasks_by_status', { start: from, end: low, backward: true, limit: 3, columns: ['lease_until'] })),
      KEY,
    );
  });

  it('BatchWriteRow over two tables: counters incremented with their values returned, a conditional put and a delete', async () => {
    const ifAbsent = { row: 'EXPECT_NOT_EXIST' as const };
    const sdkCounter = (key: string, held: bigint) => ({
      type: 'UPDATE',
      condition: cond('IGNORE'),
      primaryKey: [{ key }],
      attributeColumns: [{ INCREMENT: [{ held: TS.Long.fromString(held.toString(), 10) }, { spent: TS.Long.fromString('0', 10) }] }],
      returnContent: { returnType: TS.ReturnType.AfterModify, returnColumns: ['held', 'spent'] },
    });
    const pair = await both(
      KEY,
      (s) =>
        s.batchWriteRow({
          tables: [
            { tableName: 'counters', rows: [sdkCounter('rpm|a', 1n), sdkCounter('day|a', -250n)] },
            {
              tableName: 'reservations',
              rows: [
                { type: 'PUT', condition: cond('EXPECT_NOT_EXIST'), primaryKey: [{ id: 'r1' }], attributeColumns: sdkCols([['keys', '["day|a"]'], ['amount', 250n]]) },
                { type: 'DELETE', condition: cond('EXPECT_EXIST'), primaryKey: [{ id: 'r0' }], attributeColumns: [] },
              ],
            },
          ],
        }),
      (c) =>
        c.batchWriteRow([
          { table: 'counters', pk: [['key', 'rpm|a']], update: { increment: { held: 1n, spent: 0n } }, condition: { row: 'IGNORE' }, returnColumns: ['held', 'spent'] },
          { table: 'reservations', pk: [['id', 'r1']], put: { keys: '["day|a"]', amount: 250n }, condition: ifAbsent },
          { table: 'counters', pk: [['key', 'day|a']], update: { increment: { held: -250n, spent: 0n } }, condition: { row: 'IGNORE' }, returnColumns: ['held', 'spent'] },
          { table: 'reservations', pk: [['id', 'r0']], delete: true, condition: { row: 'EXPECT_EXIST' } },
        ]),
    );
    expectSameRequest(pair, KEY);
  });

  it('CreateTable with defined columns and global indexes, CreateIndex, ListTable and DescribeTable', async () => {
    const [tasks, idem] = taskTableSpecs(taskTableNames('p_'));
    const sdkTable = (t: typeof tasks) => ({
      tableMeta: {
        tableName: t!.name,
        primaryKey: t!.primaryKey,
        ...(t!.definedColumns ? { definedColumn: t!.definedColumns.map((d) => ({ name: d.name, type: TS.DefinedColumnType[`DCT_${d.type}`] })) } : {}),
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: t!.timeToLive, maxVersions: t!.maxVersions },
      ...(t!.indexes ? { indexMetas: t!.indexes.map((i) => ({ name: i.name, primaryKey: i.primaryKey, definedColumn: i.definedColumns })) } : {}),
    });
    for (const t of [tasks, idem, ...guardTableSpecs(guardTableNames('p_'))]) expectSameRequest(await both(KEY, (s) => s.createTable(sdkTable(t)), (c) => c.createTable(t!)), KEY);
    const index = { name: 'p_tasks_by_due2', primaryKey: ['due_at', 'id'], definedColumns: ['lease_until'] };
    expectSameRequest(
      await both(KEY, (s) => s.createIndex({ mainTableName: 'p_tasks', indexMeta: { ...index, definedColumn: index.definedColumns }, includeBaseData: true }), (c) => c.createIndex('p_tasks', index)),
      KEY,
    );
    expectSameRequest(await both(KEY, (s) => s.listTable({}), (c) => c.listTables()), KEY);
    expectSameRequest(await both(KEY, (s) => s.describeTable({ tableName: 'p_tasks' }), (c) => c.describeTable('p_tasks')), KEY);
  });
});

describe('PlainBuffer rows byte for byte as the SDK builds them', () => {
  const B = TS.PlainBufferBuilder;
  const pk: PrimaryKey = [['a', 'x'], ['b', -1n], ['c', Buffer.from([9])]];

  it('keys (the INF_MIN/INF_MAX padding included), put rows, row changes, delete rows and condition values', () => {
    expect(encodePrimaryKey(pk)).toEqual(B.serializePrimaryKey(sdkPk(pk)));
    const bounds: PrimaryKey = [['a', INF_MIN], ['b', INF_MAX], ['c', 'z']];
    expect(encodePrimaryKey(bounds)).toEqual(B.serializePrimaryKey(sdkPk(bounds)));
    expect(encodePutRow(pk, ALL_TYPES)).toEqual(B.serializeForPutRow(sdkPk(pk), sdkCols(ALL_TYPES)));
    expect(encodePutRow(pk, [])).toEqual(B.serializeForPutRow(sdkPk(pk), []));
    expect(encodeUpdateRow(pk, [{ name: 'x', op: 'DELETE_ALL' }, { name: 'n', op: 'INCREMENT', value: 5n }, { name: 's', op: 'PUT', value: 1.25 }])).toEqual(
      B.serializeForUpdateRow(sdkPk(pk), [{ DELETE_ALL: ['x'] }, { INCREMENT: [{ n: TS.Long.fromString('5', 10) }] }, { PUT: [{ s: 1.25 }] }]),
    );
    expect(encodeDeleteRow(pk)).toEqual(B.serializeForDeleteRow(sdkPk(pk)));
    for (const [, v] of ALL_TYPES) expect(encodeVariant(v)).toEqual(B.serializeColumnValue(sdkValue(v)));
  });
});
