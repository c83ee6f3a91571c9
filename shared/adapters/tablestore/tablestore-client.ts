// Table Store over node:http(s): the few row and table calls the stores and the set-up use, sent as the SDK sends
// them (ots-wire/), signed with credentials asked for per call (STS rotates), retried by one policy of ours.
import { CloudNetworkError, readAll, sendCloudRequest } from '../cloud-http/cloud-http.ts';
import * as msg from './ots-wire/ots-messages.ts';
import type { DefinedColumnType, IndexSpec, RangeQuery, TableDescription, TableSpec, WriteCondition } from './ots-wire/ots-messages.ts';
import { readRows, readRow } from './ots-wire/plain-buffer-reader.ts';
import { encodeDeleteRow, encodePutRow, encodeUpdateRow, INF_MAX, INF_MIN, PlainBufferError, type CellChange, type KeyValue, type OtsValue, type PrimaryKey } from './ots-wire/plain-buffer.ts';
import { ProtoError } from './ots-wire/protobuf.ts';
import { signedHeaders, type OtsCredentials } from './ots-wire/ots-signer.ts';

export { INF_MAX, INF_MIN };
export type { KeyValue, OtsValue, PrimaryKey, OtsCredentials, WriteCondition, TableSpec, TableDescription, IndexSpec };
export type { RowExistence, PrimaryKeyType, DefinedColumnType } from './ots-wire/ots-messages.ts';
export type Columns = Record<string, OtsValue>;

export interface TablestoreClientOptions {
  endpoint: string;
  instance: string;
  /** Called before every request, so rotated STS credentials are picked up. */
  credentials: () => OtsCredentials | Promise<OtsCredentials>;
  /** Longest silence on the socket during one request. */
  timeoutMs?: number;
  /** Attempts of a request the service turned away without applying it (throttling, busy). */
  maxAttempts?: number;
}

/**
 * The service refused, or the call failed on the way. `code` is the service's (OTS…), 'NetworkError' (no answer),
 * 'BadResponse' (an answer that is not what the operation returns) or `HTTP<status>` (an error answer with no Error).
 */
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
  /** A write may or may not have been applied: no answer we could read, or a server error after it was received. */
  get ambiguous(): boolean {
    return this.code === 'NetworkError' || this.code === 'BadResponse' || (!this.rejected && this.httpStatus !== undefined && this.httpStatus >= 500);
  }
}
const REJECTED = new Set(['OTSServerBusy', 'OTSOperationThrottled', 'OTSNotEnoughCapacityUnit', 'OTSPartitionUnavailable', 'OTSTableNotReady', 'OTSRowOperationConflict', 'OTSQuotaExhausted']);

export interface RowChange {
  put?: Columns;
  deleteAll?: string[];
  /** Adds to INTEGER columns (a missing column counts as 0). */
  increment?: Record<string, bigint>;
}
export interface Row {
  key: Columns;
  columns: Columns;
}

/** One row of a BatchWriteRow: a whole row put, a change, or a delete, each under its own condition. */
export type BatchWrite = { table: string; pk: PrimaryKey; condition: WriteCondition; returnColumns?: string[] } & (
  | { put: Columns }
  /** `returnColumns`: incremented counters to answer with their values after this change. */
  | { update: RowChange }
  | { delete: true }
);
/** What became of one row of a batch: rows are applied one by one, so some may fail while others land. */
export interface BatchWriteResult {
  ok: boolean;
  /** The service's refusal of this row (e.g. OTSConditionCheckFail). */
  error?: OtsError;
  /** The key and the counters named in returnColumns, as they are after the change. */
  row?: Row;
}

/** Most rows one BatchWriteRow may carry. */
export const MAX_BATCH_ROWS = 200;

function cellsOf(change: RowChange): CellChange[] {
  return [
    ...Object.entries(change.put ?? {}).map(([name, value]): CellChange => ({ name, op: 'PUT', value })),
    ...(change.deleteAll ?? []).map((name): CellChange => ({ name, op: 'DELETE_ALL' })),
    ...Object.entries(change.increment ?? {}).map(([name, value]): CellChange => ({ name, op: 'INCREMENT', value })),
  ];
}

function batchRow(w: BatchWrite): msg.BatchRow {
  const rowChange =
    'put' in w ? encodePutRow(w.pk, Object.entries(w.put)) : 'update' in w ? encodeUpdateRow(w.pk, cellsOf(w.update)) : encodeDeleteRow(w.pk);
  return { table: w.table, type: 'put' in w ? 'PUT' : 'update' in w ? 'UPDATE' : 'DELETE', rowChange, condition: w.condition, ...(w.returnColumns ? { returnColumns: w.returnColumns } : {}) };
}

/** Largest answer read: GetRange stops near 4 MB of rows, so this only guards against a runaway body. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** The shape of an error answer: the protobuf Error when there is one, else the status alone. */
export function errorFromAnswer(status: number, body: Buffer, requestId: string | undefined): OtsError {
  if (body.length > 0) {
    try {
      const e = msg.decodeError(body);
      // bytes that happen to parse as protobuf are not an Error: the service's codes all start with OTS
      if (/^OTS\w+$/.test(e.code)) return new OtsError(e.code, e.message, status, requestId);
    } catch {
      // not a protobuf body (a proxy's page): the status says what is known
    }
  }
  const shown = body.subarray(0, 100).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
  return new OtsError(`HTTP${status}`, `Table Store answered ${status}${shown ? `: ${shown}` : ' with no body'}`, status, requestId);
}

function toRow(r: { pk: [string, KeyValue][]; cells: { name: string; value?: KeyValue }[] }): Row {
  const key: Columns = {};
  for (const [name, value] of r.pk) key[name] = plainValue(value, name);
  const columns: Columns = {};
  for (const c of r.cells) if (c.value !== undefined) columns[c.name] = plainValue(c.value, c.name);
  return { key, columns };
}

function plainValue(v: KeyValue, column: string): OtsValue {
  if (v === INF_MIN || v === INF_MAX) throw new PlainBufferError(`column ${column} of a stored row holds an infinite bound`);
  return v;
}

/** Jittered exponential pause before attempt `attempt + 1`. */
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));

const READS = new Set(['GetRow', 'GetRange', 'ListTable', 'DescribeTable']);

export class TablestoreClient {
  constructor(private readonly options: TablestoreClientOptions) {}

  async getRow(table: string, pk: PrimaryKey, columns?: string[]): Promise<Row | undefined> {
    return this.call('GetRow', msg.getRowRequest(table, pk, columns), (b) => {
      const row = msg.decodeGetRow(b);
      return row.length === 0 ? undefined : toRow(readRow(row));
    });
  }

  async putRow(table: string, pk: PrimaryKey, columns: Columns, condition: WriteCondition): Promise<void> {
    await this.call('PutRow', msg.putRowRequest(table, pk, Object.entries(columns), condition), () => undefined);
  }

  async updateRow(table: string, pk: PrimaryKey, change: RowChange, condition: WriteCondition): Promise<void> {
    await this.call('UpdateRow', msg.updateRowRequest(table, pk, cellsOf(change), condition), () => undefined);
  }

  async deleteRow(table: string, pk: PrimaryKey, condition: WriteCondition): Promise<void> {
    await this.call('DeleteRow', msg.deleteRowRequest(table, pk, condition), () => undefined);
  }

  /**
   * Several rows of one or more tables in one round trip, each applied on its own (not a transaction); results in the
   * order of `writes`. Rows the service turned away without applying them (throttling, busy) are sent again.
   */
  async batchWriteRow(writes: BatchWrite[]): Promise<BatchWriteResult[]> {
    if (writes.length > MAX_BATCH_ROWS) throw new OtsError('ClientError', `a BatchWriteRow carries at most ${MAX_BATCH_ROWS} rows, got ${writes.length}`, undefined, undefined);
    const results: BatchWriteResult[] = new Array<BatchWriteResult>(writes.length);
    const attempts = Math.max(1, this.options.maxAttempts ?? 4);
    let pending = writes.map((_, i) => i);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const rows = pending.map((i) => batchRow(writes[i]!));
      const answers = await this.call('BatchWriteRow', msg.batchWriteRowRequest(rows), (b) =>
        msg.decodeBatchWriteRow(b, rows).map((a): BatchWriteResult => ({
          ok: a.ok,
          ...(a.ok ? {} : { error: new OtsError(a.error?.code || 'BadResponse', a.error?.message ?? 'a batch row failed without an error', undefined, undefined) }),
          ...(a.row ? { row: toRow(readRow(a.row)) } : {}),
        })),
      );
      const again: number[] = [];
      answers.forEach((a, j) => {
        const i = pending[j]!;
        if (a.error?.rejected && attempt < attempts) again.push(i);
        else results[i] = a;
      });
      pending = again;
      if (pending.length > 0) await backoff(attempt);
    }
    return results;
  }

  /** One page of a range: `next` is the key to start the following page at, absent at the end. */
  async getRange(table: string, q: RangeQuery): Promise<{ rows: Row[]; next?: PrimaryKey }> {
    return this.call('GetRange', msg.getRangeRequest(table, q), (b) => {
      const page = msg.decodeGetRange(b);
      const rows = readRows(page.rows).map(toRow);
      return page.next ? { rows, next: readRow(page.next).pk } : { rows };
    });
  }

  /** Creates a table with its indexes (set-up and tests; the stores never create tables). */
  async createTable(spec: TableSpec): Promise<void> {
    await this.call('CreateTable', msg.createTableRequest(spec), () => undefined);
  }

  /** Declares more attribute columns on an existing table (set-up: what a new index is built from). */
  async addDefinedColumns(table: string, columns: { name: string; type: DefinedColumnType }[]): Promise<void> {
    await this.call('AddDefinedColumn', msg.addDefinedColumnRequest(table, columns), () => undefined);
  }

  /** Adds a global index to an existing table; `includeBaseData` indexes the rows already there too. */
  async createIndex(table: string, index: IndexSpec, options: { includeBaseData?: boolean } = {}): Promise<void> {
    await this.call('CreateIndex', msg.createIndexRequest(table, index, options.includeBaseData ?? true), () => undefined);
  }

  async listTables(): Promise<string[]> {
    return this.call('ListTable', msg.listTableRequest(), msg.decodeListTable);
  }

  /** The table's key, defined columns, indexes and options; undefined when it does not exist. */
  async describeTable(table: string): Promise<TableDescription | undefined> {
    try {
      return await this.call('DescribeTable', msg.describeTableRequest(table), msg.decodeDescribeTable);
    } catch (e) {
      if (e instanceof OtsError && e.code === 'OTSObjectNotExist') return undefined;
      throw e;
    }
  }

  private async call<T>(op: string, body: Buffer, decode: (answer: Buffer) => T): Promise<T> {
    const attempts = Math.max(1, this.options.maxAttempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(op, body, decode);
      } catch (e) {
        const err = e instanceof OtsError ? e : new OtsError('ClientError', `Table Store client failed: ${(e as Error).message}`, undefined, undefined, { cause: e });
        // a request the service turned away is sent again; so is a read whose answer was lost. A write that
        // may have been applied goes back to the caller, who settles it by reading the row
        if (!(err.rejected || (READS.has(op) && err.ambiguous)) || attempt >= attempts) throw err;
        await backoff(attempt);
      }
    }
  }

  private async send<T>(op: string, body: Buffer, decode: (answer: Buffer) => T): Promise<T> {
    const credentials = await this.options.credentials();
    const headers = signedHeaders({ operation: op, instance: this.options.instance, body, credentials, date: new Date() });
    let status: number;
    let answer: Buffer;
    let requestId: string | undefined;
    try {
      const res = await sendCloudRequest({ method: 'POST', url: new URL(`/${op}`, this.options.endpoint), headers, body, timeoutMs: this.options.timeoutMs ?? 10_000 });
      status = res.status;
      const id = res.headers['x-ots-requestid'] ?? res.headers['x-ots-request-id'];
      requestId = Array.isArray(id) ? id[0] : id;
      answer = await readAll(res, MAX_ANSWER_BYTES);
    } catch (e) {
      if (e instanceof CloudNetworkError) throw new OtsError('NetworkError', `Table Store unreachable (${op}): ${e.message}`, undefined, requestId, { cause: e });
      throw e;
    }
    if (status >= 300) throw errorFromAnswer(status, answer, requestId);
    try {
      return decode(answer);
    } catch (e) {
      if (e instanceof ProtoError || e instanceof PlainBufferError) throw new OtsError('BadResponse', `Table Store's ${op} answer is unreadable: ${e.message}`, status, requestId, { cause: e });
      throw e;
    }
  }
}
