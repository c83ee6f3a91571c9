// PipelineStore on Table Store (cloud mode): one row per pipeline (pk id), the pipeline as JSON, a conditional
// write on the INTEGER version, and an asynchronous global index by due time for the timer's sweep.
import { isFinished, type Pipeline } from '../../domain/pipeline.ts';
import { PipelineConflictError, PipelineStoreError, type PipelineStore } from '../../ports/pipeline-store.ts';
import { parseStoredPipeline } from '../stored-pipeline.ts';
import { mapLimited } from './map-limited.ts';
import { INF_MIN, OtsError, type Columns, type PrimaryKey, type TablestoreClient, type TableSpec } from './tablestore-client.ts';

/** Times a write whose answer was lost is re-read and, if it did not land, sent again. */
const AMBIGUOUS_RETRIES = 3;
const INDEX_PAGE = 100;

export interface PipelineTableNames {
  pipelines: string;
  /** Index on (due_at, id): what listDue reads. */
  dueIndex: string;
}

export const pipelineTableNames = (prefix = ''): PipelineTableNames => ({ pipelines: `${prefix}pipelines`, dueIndex: `${prefix}pipelines_by_due` });

/** The pipelines table and its due index (TTL -1: a table with a global index cannot expire rows otherwise). */
export function pipelineTableSpec(names: PipelineTableNames): TableSpec {
  return {
    name: names.pipelines,
    primaryKey: [{ name: 'id', type: 'STRING' }],
    definedColumns: [
      { name: 'version', type: 'INTEGER' },
      { name: 'tenant', type: 'STRING' },
      { name: 'due_at', type: 'INTEGER' },
    ],
    indexes: [{ name: names.dueIndex, primaryKey: ['due_at', 'id'] }],
    timeToLive: -1,
    maxVersions: 1,
  };
}

/** Creates the pipelines table with its index (set-up scripts and tests; the store never creates it). */
export async function createPipelineTable(client: TablestoreClient, names: PipelineTableNames): Promise<void> {
  await client.createTable(pipelineTableSpec(names));
}

function wrap(e: unknown, what: string): PipelineStoreError {
  if (e instanceof PipelineStoreError) return e;
  const err = new PipelineStoreError(`${what}: ${e instanceof OtsError ? `${e.code} ${e.message}` : String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

function columnsOf(p: Pipeline): Columns {
  const { version: _v, ...data } = p;
  return {
    version: BigInt(p.version),
    tenant: p.tenant,
    data: JSON.stringify(data),
    ...(p.dueAt && !isFinished(p.status) ? { due_at: BigInt(Date.parse(p.dueAt)) } : {}),
  };
}

export class TablestorePipelineStore implements PipelineStore {
  constructor(
    private readonly client: TablestoreClient,
    private readonly tables: PipelineTableNames,
  ) {}

  async get(id: string): Promise<Pipeline | undefined> {
    const columns = await this.read(id);
    return columns && toPipeline(id, columns);
  }

  async put(pipeline: Pipeline, expectedVersion: number): Promise<Pipeline> {
    const next = { ...pipeline, version: expectedVersion + 1 };
    const columns = columnsOf(next);
    const key: PrimaryKey = [['id', next.id]];
    const send = () =>
      expectedVersion === 0
        ? this.client.putRow(this.tables.pipelines, key, columns, { row: 'EXPECT_NOT_EXIST' })
        : this.client.updateRow(this.tables.pipelines, key, { put: columns, deleteAll: 'due_at' in columns ? [] : ['due_at'] }, {
            row: 'EXPECT_EXIST',
            column: { name: 'version', equals: BigInt(expectedVersion), passIfMissing: false },
          });
    let uncertain = false;
    for (let i = 0; ; i++) {
      try {
        await send();
        return next;
      } catch (e) {
        if (!(e instanceof OtsError)) throw wrap(e, `write pipeline ${next.id}`);
        if (!e.conditionFailed && (!e.ambiguous || i >= AMBIGUOUS_RETRIES)) throw wrap(e, `write pipeline ${next.id}`);
        if (e.conditionFailed && !uncertain) throw new PipelineConflictError(next.id, expectedVersion);
        // the answer of an earlier attempt went missing: the row says whether that attempt landed
        uncertain = true;
        const row = await this.read(next.id);
        if (row && row['version'] === columns['version'] && row['data'] === columns['data']) return next;
        const stillBefore = expectedVersion === 0 ? !row : row?.['version'] === BigInt(expectedVersion);
        if (e.conditionFailed || !stillBefore) throw new PipelineConflictError(next.id, expectedVersion);
      }
    }
  }

  /** Reads the due index (it may trail the table by a moment), then each row, keeping those still due. */
  async listDue(now: Date, limit: number): Promise<Pipeline[]> {
    const want = Math.max(0, Math.floor(limit));
    const t = BigInt(now.getTime());
    const found: Pipeline[] = [];
    let start: PrimaryKey = [['due_at', INF_MIN], ['id', INF_MIN]];
    while (found.length < want) {
      let page: Awaited<ReturnType<TablestoreClient['getRange']>>;
      try {
        page = await this.client.getRange(this.tables.dueIndex, { start, end: [['due_at', t + 1n], ['id', INF_MIN]], limit: Math.min(INDEX_PAGE, want + 1) });
      } catch (e) {
        throw wrap(e, `read index ${this.tables.dueIndex}`);
      }
      const rows = await mapLimited(page.rows, 16, (r) => this.get(String(r.key['id'])));
      for (const p of rows) {
        if (found.length >= want || !p?.dueAt || isFinished(p.status)) continue;
        if (Date.parse(p.dueAt) <= now.getTime()) found.push(p);
      }
      if (!page.next) break;
      start = page.next;
    }
    return found.sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async read(id: string): Promise<Columns | undefined> {
    try {
      return (await this.client.getRow(this.tables.pipelines, [['id', id]]))?.columns;
    } catch (e) {
      throw wrap(e, `read pipeline ${id}`);
    }
  }
}

function toPipeline(id: string, columns: Columns): Pipeline {
  const version = columns['version'];
  const data = columns['data'];
  if (typeof version !== 'bigint' || version < 1n || typeof data !== 'string') throw new PipelineStoreError(`pipeline ${id}: row does not match its schema`);
  return parseStoredPipeline(id, data, Number(version));
}
