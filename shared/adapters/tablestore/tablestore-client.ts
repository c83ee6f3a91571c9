// Typed wrapper over the untyped `tablestore` SDK: the few row calls the stores use, INTEGER as bigint, credentials
// asked for per call (STS rotates), and the protobuf Error decoded here (the SDK leaves its bytes in `message`).

// Static imports, so esbuild puts the SDK into each function's bundle (a runtime require would not be).
import TS from 'tablestore';
import compiledProto from 'tablestore/lib/protocol/tablestore_compiled_proto.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK ships no types; they stop at this file */
const ErrorProto = compiledProto.main.proto.Error;

// The SDK assigns to undeclared variables (`key`, `size` in lib/protocol/plian_buffer_builder.js, `pro` in
// lib/filter.js, `sub` in lib/protocol/encoder.js). Bundled into a function's ESM output, which is strict
// mode, each would throw ReferenceError; as properties of the global object they resolve, as in sloppy mode.
// One retry policy, ours (below): the SDK's retries reads up to 20 times (about a minute) on statuses and
// network errors, and never retries throttled writes because its table keys on codes it never sees.
TS.DefaultRetryPolicy.maxRetryTimes = 0;
for (const name of ['key', 'size', 'pro', 'sub']) {
  if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value: undefined, writable: true, configurable: true, enumerable: false });
}

/** A cell value: bigint is INTEGER (int64), number is DOUBLE, never the same column type in a condition. */
export type OtsValue = string | bigint | number | boolean | Buffer;
/** Bounds of a range: below and above every value of a primary-key column. */
export const INF_MIN = Symbol('INF_MIN');
export const INF_MAX = Symbol('INF_MAX');
export type KeyValue = OtsValue | typeof INF_MIN | typeof INF_MAX;
/** Primary-key columns in schema order. */
export type PrimaryKey = [string, KeyValue][];
export type Columns = Record<string, OtsValue>;

export interface OtsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface TablestoreClientOptions {
  endpoint: string;
  instance: string;
  /** Called before every request, so rotated STS credentials are picked up. */
  credentials: () => OtsCredentials | Promise<OtsCredentials>;
  /** Socket idle timeout of one request (the SDK has none by default). */
  timeoutMs?: number;
  /** Attempts of a request the service turned away without applying it (throttling, busy). */
  maxAttempts?: number;
}

/** The service refused, or the call failed on the way; `code` is the service's (OTS…) or 'NetworkError'. */
export class OtsError extends Error {
  override name = 'OtsError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number | undefined,
    readonly requestId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get conditionFailed(): boolean {
    return this.code === 'OTSConditionCheckFail';
  }
  /** The service said it did not apply the request; sending it again is safe. */
  get rejected(): boolean {
    return REJECTED.has(this.code);
  }
  /** A write may or may not have been applied: no answer, or a server error after it was received. */
  get ambiguous(): boolean {
    return this.code === 'NetworkError' || (!this.rejected && this.httpStatus !== undefined && this.httpStatus >= 500);
  }
}
const REJECTED = new Set(['OTSServerBusy', 'OTSOperationThrottled', 'OTSNotEnoughCapacityUnit', 'OTSPartitionUnavailable', 'OTSTableNotReady', 'OTSRowOperationConflict', 'OTSQuotaExhausted']);

export type RowExistence = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
export interface WriteCondition {
  row: RowExistence;
  /** Column `name` must equal `equals`; a missing column fails the write unless passIfMissing. */
  column?: { name: string; equals: OtsValue; passIfMissing?: boolean };
}
export interface RowChange {
  put?: Columns;
  deleteAll?: string[];
}
export interface Row {
  key: Columns;
  columns: Columns;
}

const EMPTY_BODY_STATUS: Record<string, number> = { NotModified: 304, BadRequest: 400, Forbidden: 403, NotFound: 404 };

/** Turns whatever the SDK rejected with into an OtsError, decoding the protobuf body when there is one. */
export function toOtsError(e: unknown): OtsError {
  if (e instanceof OtsError) return e;
  const err = (e ?? {}) as { code?: unknown; message?: unknown; headers?: Record<string, string> };
  const requestId = err.headers?.['x-ots-requestid'] ?? err.headers?.['x-ots-request-id'];
  // an error answer with an empty body comes with the status's name instead of its number
  const status = typeof err.code === 'number' ? err.code : typeof err.code === 'string' ? EMPTY_BODY_STATUS[err.code] : undefined;
  if (status === undefined) {
    // only the SDK's transport failures leave a write's outcome open; anything else is a bug to surface as is
    if (err.code === 'NetworkingError' || err.code === 'TimeoutError') return new OtsError('NetworkError', `Table Store unreachable: ${String(err.message ?? err.code)}`, undefined, requestId, { cause: e });
    return new OtsError('ClientError', `Table Store client failed: ${String(err.message ?? e)}`, undefined, requestId, { cause: e });
  }
  if (typeof err.code === 'string') return new OtsError(`HTTP${status}`, `Table Store answered ${status} with no body`, status, requestId, { cause: e });
  const raw = String(err.message ?? '');
  const cut = raw.lastIndexOf(' requestId:');
  const body = cut >= 0 ? raw.slice(0, cut) : raw;
  let code = /\b(OTS[A-Za-z]+)/.exec(body)?.[1];
  let message = body;
  try {
    // the SDK turned the bytes into a UTF-8 string; for the short ASCII fields of Error that is lossless
    const decoded = ErrorProto.decode(Buffer.from(body, 'utf8'));
    // text that happens to parse as protobuf is not an Error: the service's codes all start with OTS
    if (/^OTS\w+$/.test(decoded.code)) {
      code = decoded.code;
      message = decoded.message ?? '';
    }
  } catch {
    // not a protobuf body (a proxy's page, an empty 403): keep the status and whatever code was visible
  }
  return new OtsError(code ?? `HTTP${status}`, message, status, requestId, { cause: e });
}

const toSdkValue = (v: KeyValue): unknown =>
  v === INF_MIN ? TS.INF_MIN : v === INF_MAX ? TS.INF_MAX : typeof v === 'bigint' ? TS.Long.fromString(v.toString()) : v;
const fromSdkValue = (v: any): OtsValue => (typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && typeof v.toString === 'function' ? BigInt(v.toString(10)) : v);
const sdkKey = (pk: PrimaryKey) => pk.map(([n, v]) => ({ [n]: toSdkValue(v) }));
const sdkColumns = (c: Columns) => Object.entries(c).map(([n, v]) => ({ [n]: toSdkValue(v) }));

function sdkCondition(c: WriteCondition): unknown {
  const column = c.column
    ? new TS.SingleColumnCondition(c.column.name, toSdkValue(c.column.equals), TS.ComparatorType.EQUAL, c.column.passIfMissing ?? false)
    : null;
  return new TS.Condition(TS.RowExistenceExpectation[c.row], column);
}

function toRow(r: any): Row | undefined {
  if (!r || !Array.isArray(r.primaryKey)) return undefined;
  const key: Columns = {};
  for (const c of r.primaryKey) key[c.name] = fromSdkValue(c.value);
  const columns: Columns = {};
  for (const a of r.attributes ?? []) columns[a.columnName] = fromSdkValue(a.columnValue);
  return { key, columns };
}

export class TablestoreClient {
  private cached: { id: string; client: any } | undefined;

  constructor(private readonly options: TablestoreClientOptions) {}

  async getRow(table: string, pk: PrimaryKey, columns?: string[]): Promise<Row | undefined> {
    const data = await this.call('getRow', { tableName: table, primaryKey: sdkKey(pk), maxVersions: 1, ...(columns ? { columnsToGet: columns } : {}) });
    return toRow(data.row);
  }

  async putRow(table: string, pk: PrimaryKey, columns: Columns, condition: WriteCondition): Promise<void> {
    await this.call('putRow', { tableName: table, primaryKey: sdkKey(pk), attributeColumns: sdkColumns(columns), condition: sdkCondition(condition) });
  }

  async updateRow(table: string, pk: PrimaryKey, change: RowChange, condition: WriteCondition): Promise<void> {
    const ops: unknown[] = [];
    if (change.put && Object.keys(change.put).length > 0) ops.push({ PUT: sdkColumns(change.put) });
    if (change.deleteAll && change.deleteAll.length > 0) ops.push({ DELETE_ALL: change.deleteAll });
    await this.call('updateRow', { tableName: table, primaryKey: sdkKey(pk), updateOfAttributeColumns: ops, condition: sdkCondition(condition) });
  }

  async deleteRow(table: string, pk: PrimaryKey, condition: WriteCondition): Promise<void> {
    await this.call('deleteRow', { tableName: table, primaryKey: sdkKey(pk), condition: sdkCondition(condition) });
  }

  /** One page of a range: `next` is the key to start the following page at, absent at the end. */
  async getRange(table: string, q: { start: PrimaryKey; end: PrimaryKey; backward?: boolean; limit: number; columns?: string[] }): Promise<{ rows: Row[]; next?: PrimaryKey }> {
    const data = await this.call('getRange', {
      tableName: table,
      direction: q.backward ? TS.Direction.BACKWARD : TS.Direction.FORWARD,
      inclusiveStartPrimaryKey: sdkKey(q.start),
      exclusiveEndPrimaryKey: sdkKey(q.end),
      limit: q.limit,
      maxVersions: 1,
      ...(q.columns ? { columnsToGet: q.columns } : {}),
    });
    const rows = (data.rows as unknown[]).map(toRow).filter((r): r is Row => r !== undefined);
    const next = Array.isArray(data.nextStartPrimaryKey) ? (data.nextStartPrimaryKey as { name: string; value: unknown }[]).map((c): [string, KeyValue] => [c.name, fromSdkValue(c.value)]) : undefined;
    return { rows, ...(next ? { next } : {}) };
  }

  /** CreateTable as the SDK takes it (set-up and tests; the stores never create tables). */
  async createTable(params: Record<string, unknown>): Promise<void> {
    await this.call('createTable', params);
  }

  private async sdk(): Promise<any> {
    const c = await this.options.credentials();
    const id = `${c.accessKeyId}\u0000${c.accessKeySecret}\u0000${c.securityToken ?? ''}`;
    if (this.cached?.id !== id) {
      const client = new TS.Client({
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        ...(c.securityToken ? { stsToken: c.securityToken } : {}),
        endpoint: this.options.endpoint,
        instancename: this.options.instance,
        httpOptions: { timeout: this.options.timeoutMs ?? 10_000 },
      });
      this.cached = { id, client };
    }
    return this.cached.client;
  }

  private async call(op: string, params: Record<string, unknown>): Promise<any> {
    const attempts = Math.max(1, this.options.maxAttempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        return await (await this.sdk())[op](params);
      } catch (e) {
        const err = toOtsError(e);
        // a request the service turned away is sent again; so is a read whose answer was lost. A write that
        // may have been applied goes back to the caller, who settles it by reading the row
        const read = op === 'getRow' || op === 'getRange';
        if (!(err.rejected || (read && err.ambiguous)) || attempt >= attempts) throw err;
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      }
    }
  }
}
