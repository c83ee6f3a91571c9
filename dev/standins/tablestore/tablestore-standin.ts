// A Table Store endpoint on loopback for tests: answers the SDK's own requests (POST /<Operation>, protobuf
// bodies, PlainBuffer rows), checks their signature, and fails on demand the ways the real service does.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { decodeAddDefinedColumn } from './table-ops.ts';
import { readRow, writePrimaryKey, writeRows, PlainBufferError } from './plain-buffer.ts';
import { batchWrite, returned, toCondition, type BatchTableMsg, type ConditionMsg, type ReturnContentMsg } from './row-writes.ts';
import { invalid, OtsServiceError, TableEngine, type ColumnType } from './table-engine.ts';

const require = createRequire(import.meta.url);
// The SDK's compiled protobuf definitions: what it encodes, we decode with the same schema.
const compiled = require('tablestore/lib/protocol/tablestore_compiled_proto.js') as { main: { proto: ProtoNs } };
type Msg = Record<string, unknown>;
interface ProtoType {
  decode(b: Uint8Array): Msg;
  encode(m: Msg): { finish(): Uint8Array };
  create(m: Msg): Msg;
}
type ProtoNs = Record<string, ProtoType>;
const pb = compiled.main.proto;

export interface StandinCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests must carry this STS token. */
  securityToken?: string;
}

/** One injected failure, consumed by the next request that matches `op` (any operation when absent). */
export type Fault = { op?: string } & (
  /** Answers with this error; `committed`: after applying the request (a 5xx that hides a success). */
  | { kind: 'status'; status: number; code: string; message?: string; committed?: boolean }
  /** Closes the connection without applying the request. */
  | { kind: 'drop' }
  /** Applies the request, then closes the connection instead of answering: the ambiguous write. */
  | { kind: 'commit-then-drop' }
  | { kind: 'latency'; ms: number }
  /** BatchWriteRow only: the row at this position (flattened over the tables) is refused with `code`, not applied. */
  | { kind: 'row'; row: number; code: string; message?: string }
);

export interface TablestoreStandinOptions {
  instance?: string;
  credentials?: StandinCredentials[];
  /** How far the global secondary indexes trail their table (default 0: applied right after each write). */
  indexLagMs?: number;
  /** Most rows one GetRange answers, whatever its limit (the service's 5000-row cap, lowered to test paging). */
  maxRangeRows?: number;
  /** The clock the indexes lag by (default Date.now), so a test can move it instead of sleeping. */
  now?: () => number;
  /** DescribeTable calls that see a new table as LOADING before it is ACTIVE (default 0: ACTIVE at once). */
  loadingDescribes?: number;
}

export interface StandinRequest {
  op: string;
  table?: string;
  status: number;
  /** The key the request was signed with (as sent; checked separately). */
  accessKeyId?: string;
}

export const TEST_CREDENTIALS: StandinCredentials = { accessKeyId: 'LTAI-standin-key', accessKeySecret: 'standin-secret-0123456789' };

export class TablestoreStandin {
  readonly engine: TableEngine;
  readonly requests: StandinRequest[] = [];
  readonly instance: string;
  indexLagMs: number;
  private readonly faults: Fault[] = [];
  /** DescribeTable answers each new table still gives as LOADING. */
  private readonly loading = new Map<string, number>();
  private readonly credentials: StandinCredentials[];
  private server: Server | undefined;
  private url = '';

  constructor(private readonly options: TablestoreStandinOptions = {}) {
    this.instance = options.instance ?? 'standin';
    this.credentials = options.credentials ?? [TEST_CREDENTIALS];
    this.indexLagMs = options.indexLagMs ?? 0;
    this.engine = new TableEngine({ indexLagMs: () => this.indexLagMs, ...(options.now ? { now: options.now } : {}) });
  }

  get endpoint(): string {
    return this.url;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  inject(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** Holds the asynchronous indexes where they are (true) or lets them catch up at once (false). */
  holdIndexes(hold: boolean): void {
    this.engine.holdIndexes(hold);
  }

  private takeFault(op: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.op === undefined || f.op === op);
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const op = (req.url ?? '/').slice(1).split('?')[0] ?? '';
    const signedBy = req.headers['x-ots-accesskeyid'];
    const record: StandinRequest = { op, status: 200, ...(typeof signedBy === 'string' ? { accessKeyId: signedBy } : {}) };
    this.requests.push(record);
    const answer = (status: number, payload: Uint8Array) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/x.pb2', 'x-ots-requestid': randomUUID(), 'content-length': payload.length });
      res.end(payload);
    };
    const fail = (e: OtsServiceError) => answer(e.status, pb.Error!.encode({ code: e.code, message: e.message }).finish());
    try {
      if (req.method !== 'POST') throw new OtsServiceError(405, 'OTSMethodNotAllowed', 'Only POST is supported.');
      this.authenticate(req, body);
      const fault = this.takeFault(op);
      if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
      if (fault?.kind === 'status' && !fault.committed) throw new OtsServiceError(fault.status, fault.code, fault.message ?? fault.code);
      if (fault?.kind === 'drop') {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      const out = this.dispatch(op, body, record, fault?.kind === 'row' ? fault : undefined);
      if (fault?.kind === 'status') throw new OtsServiceError(fault.status, fault.code, fault.message ?? fault.code);
      if (fault?.kind === 'commit-then-drop') {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      answer(200, out);
    } catch (e) {
      if (e instanceof OtsServiceError) fail(e);
      else if (e instanceof PlainBufferError) fail(invalid(`Invalid PlainBuffer: ${e.message}`));
      else fail(new OtsServiceError(500, 'OTSInternalServerError', e instanceof Error ? e.message : String(e)));
    }
  }

  /** Checks what the SDK's signer (lib/signer.js) sends: HMAC-SHA1 over path, method and the x-ots-* headers. */
  private authenticate(req: IncomingMessage, body: Buffer): void {
    const h = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const refuse = (m: string) => new OtsServiceError(403, 'OTSAuthFailed', m);
    if (h('x-ots-instancename') !== this.instance) throw refuse(`Instance not found: ${h('x-ots-instancename') ?? ''}`);
    if (h('x-ots-apiversion') !== '2015-12-31') throw new OtsServiceError(400, 'OTSUnsupportOperation', 'Unsupported API version.');
    const cred = this.credentials.find((c) => c.accessKeyId === h('x-ots-accesskeyid'));
    if (!cred) throw refuse('The AccessKeyID does not exist.');
    if (cred.securityToken !== undefined && h('x-ots-ststoken') !== cred.securityToken) throw refuse('The security token is invalid.');
    if (h('x-ots-contentmd5') !== createHash('md5').update(body).digest('base64')) throw refuse('Content MD5 mismatch.');
    const date = Date.parse(h('x-ots-date') ?? '');
    if (!Number.isFinite(date) || Math.abs(Date.now() - date) > 15 * 60_000) throw refuse('Mismatch between system time and x-ots-date.');
    const names = Object.keys(req.headers).filter((n) => n.startsWith('x-ots-') && n !== 'x-ots-signature').sort();
    const toSign = `${(req.url ?? '/').split('?')[0]}\n${req.method}\n\n${names.map((n) => `${n}:${h(n) ?? ''}`).join('\n')}\n`;
    const expected = createHmac('sha1', cred.accessKeySecret).update(toSign).digest();
    const sent = Buffer.from(h('x-ots-signature') ?? '', 'base64');
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw refuse('Signature mismatch.');
  }

  private dispatch(op: string, body: Buffer, record: StandinRequest, rowFault?: Extract<Fault, { kind: 'row' }>): Uint8Array {
    const consumed = { capacityUnit: { read: 1, write: 1 } };
    const ok = (type: string, m: Msg) => pb[type]!.encode(pb[type]!.create(m)).finish();
    const decode = (type: string): Msg => {
      try {
        return pb[type]!.decode(body);
      } catch (e) {
        throw invalid(`Invalid ${type}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    switch (op) {
      case 'CreateTable': {
        const m = decode('CreateTableRequest') as {
          tableMeta: { tableName: string; primaryKey: { name: string; type: number }[]; definedColumn?: { name: string; type: number }[] };
          tableOptions?: { timeToLive?: number; maxVersions?: number };
          indexMetas?: { name: string; primaryKey: string[]; definedColumn: string[] }[];
        };
        record.table = m.tableMeta.tableName;
        const types: Record<string, ColumnType> = {};
        for (const p of m.tableMeta.primaryKey) types[p.name] = PK_TYPES[p.type] ?? 'STRING';
        for (const d of m.tableMeta.definedColumn ?? []) types[d.name] = DEFINED_TYPES[d.type] ?? 'STRING';
        this.engine.createTable({
          name: m.tableMeta.tableName,
          primaryKey: m.tableMeta.primaryKey.map((p) => p.name),
          types,
          indexes: (m.indexMetas ?? []).map((i) => ({ name: i.name, primaryKey: i.primaryKey, definedColumns: i.definedColumn ?? [] })),
          options: { timeToLive: m.tableOptions?.timeToLive ?? -1, maxVersions: m.tableOptions?.maxVersions ?? 1 },
        });
        if (this.options.loadingDescribes) this.loading.set(m.tableMeta.tableName, this.options.loadingDescribes);
        return ok('CreateTableResponse', {});
      }
      case 'CreateIndex': {
        const m = decode('CreateIndexRequest') as { mainTableName: string; indexMeta: { name: string; primaryKey: string[]; definedColumn?: string[] }; includeBaseData?: boolean };
        record.table = m.mainTableName;
        const i = m.indexMeta;
        this.engine.createIndex(m.mainTableName, { name: i.name, primaryKey: i.primaryKey, definedColumns: i.definedColumn ?? [] }, m.includeBaseData === true);
        return ok('CreateIndexResponse', {});
      }
      case 'AddDefinedColumn': {
        const { table, columns } = decodeAddDefinedColumn(body, DEFINED_TYPES);
        record.table = table;
        this.engine.addDefinedColumns(table, columns);
        return new Uint8Array(0);
      }
      case 'ListTable':
        return ok('ListTableResponse', { tableNames: this.engine.listTables() });
      case 'DescribeTable': {
        const m = decode('DescribeTableRequest') as { tableName: string };
        record.table = m.tableName;
        const d = this.engine.describe(m.tableName);
        const loading = this.loading.get(m.tableName) ?? 0;
        if (loading > 0) this.loading.set(m.tableName, loading - 1);
        return ok('DescribeTableResponse', {
          tableMeta: {
            tableName: d.name,
            primaryKey: d.primaryKey.map((name) => ({ name, type: numberOf(PK_TYPES, d.types?.[name]) })),
            definedColumn: Object.entries(d.types ?? {}).filter(([n]) => !d.primaryKey.includes(n)).map(([name, t]) => ({ name, type: numberOf(DEFINED_TYPES, t) })),
          },
          reservedThroughputDetails: { capacityUnit: { read: 0, write: 0 }, lastIncreaseTime: 0 },
          tableOptions: d.options ?? { timeToLive: -1, maxVersions: 1 },
          tableStatus: loading > 0 ? 3 /* LOADING */ : 1 /* ACTIVE */,
          indexMetas: d.indexes.map((i) => ({ name: i.name, primaryKey: i.primaryKey, definedColumn: i.definedColumns, indexUpdateMode: 0, indexType: 0 })),
        });
      }
      case 'GetRow': {
        const m = decode('GetRowRequest') as { tableName: string; primaryKey: Uint8Array; columnsToGet?: string[] };
        record.table = m.tableName;
        const row = this.engine.getRow(m.tableName, readRow(Buffer.from(m.primaryKey)).pk, m.columnsToGet ?? []);
        return ok('GetRowResponse', { consumed, row: row ? writeRows([row]) : Buffer.alloc(0) });
      }
      case 'PutRow':
      case 'UpdateRow': {
        const put = op === 'PutRow';
        const m = decode(put ? 'PutRowRequest' : 'UpdateRowRequest') as { tableName: string; row?: Uint8Array; rowChange?: Uint8Array; condition: ConditionMsg; returnContent?: ReturnContentMsg };
        record.table = m.tableName;
        const row = readRow(Buffer.from((put ? m.row : m.rowChange) ?? []));
        if (put && row.cells.some((c) => c.op !== 'PUT')) throw invalid('PutRow cells must not carry an operation.');
        const after = this.engine.write(m.tableName, row.pk, toCondition(m.condition), { replace: put, cells: row.cells });
        const back = returned(row, after, m.returnContent);
        return ok(put ? 'PutRowResponse' : 'UpdateRowResponse', { consumed, ...(back ? { row: back } : {}) });
      }
      case 'BatchWriteRow': {
        const m = decode('BatchWriteRowRequest') as { tables?: BatchTableMsg[] };
        record.table = (m.tables ?? []).map((t) => t.tableName).join(',');
        return ok('BatchWriteRowResponse', { tables: batchWrite(this.engine, m.tables ?? [], consumed, rowFault) });
      }
      case 'DeleteRow': {
        const m = decode('DeleteRowRequest') as { tableName: string; primaryKey: Uint8Array; condition: ConditionMsg };
        record.table = m.tableName;
        this.engine.write(m.tableName, readRow(Buffer.from(m.primaryKey)).pk, toCondition(m.condition), 'delete');
        return ok('DeleteRowResponse', { consumed });
      }
      case 'GetRange': {
        const m = decode('GetRangeRequest') as { tableName: string; direction: number; limit?: number; inclusiveStartPrimaryKey: Uint8Array; exclusiveEndPrimaryKey: Uint8Array };
        record.table = m.tableName;
        const start = readRow(Buffer.from(m.inclusiveStartPrimaryKey)).pk.map((c) => c.value);
        const end = readRow(Buffer.from(m.exclusiveEndPrimaryKey)).pk.map((c) => c.value);
        const cap = this.options.maxRangeRows ?? 5000;
        const limit = Math.min(m.limit && m.limit > 0 ? m.limit : cap, cap);
        const r = this.engine.getRange(m.tableName, start, end, m.direction === 1, limit);
        return ok('GetRangeResponse', { consumed, rows: r.rows.length ? writeRows(r.rows) : Buffer.alloc(0), ...(r.next ? { nextStartPrimaryKey: writePrimaryKey(r.next) } : {}) });
      }
      default:
        throw new OtsServiceError(400, 'OTSUnsupportOperation', `Unsupported operation: ${op}`);
    }
  }
}

/** The protobuf enums PrimaryKeyType and DefinedColumnType, by number. */
const PK_TYPES: Record<number, ColumnType> = { 1: 'INTEGER', 2: 'STRING', 3: 'BLOB' };
const DEFINED_TYPES: Record<number, ColumnType> = { 1: 'INTEGER', 2: 'DOUBLE', 3: 'BOOLEAN', 4: 'STRING', 7: 'BLOB' };
const numberOf = (types: Record<number, ColumnType>, t: ColumnType | undefined) => Number(Object.entries(types).find(([, v]) => v === t)?.[0] ?? 0);
