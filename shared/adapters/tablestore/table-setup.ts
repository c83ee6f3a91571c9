// The Table Store step of provisioning: which of the deployment's tables, defined columns and indexes are
// missing, and creating them. A table that exists in another shape is reported for the user to fix; nothing is
// ever dropped or changed, only added.
import { OtsError, type IndexSpec, type TableDescription, type TablestoreClient, type TableSpec } from './tablestore-client.ts';
import { guardTableNames, guardTableSpecs } from './guard-tables.ts';
import { conversationTableName, conversationTableSpec } from './tablestore-conversation-store.ts';
import { keyTableName, keyTableSpec } from './tablestore-key-store.ts';
import { pipelineTableNames, pipelineTableSpec } from './tablestore-pipeline-store.ts';
import { taskTableNames, taskTableSpecs } from './task-tables.ts';

export interface SetupStep {
  name: string;
  /** What apply() would do, one line each (empty when everything exists); lines starting "problem:" need a person. */
  plan(): Promise<string[]>;
  /** Creates what is missing; refuses (TableSetupError) while a problem stands. Running it again is harmless. */
  apply(): Promise<void>;
}

export class TableSetupError extends Error {
  override name = 'TableSetupError';
}

export interface TableSetupOptions {
  /** Longest wait for a new table to become ACTIVE before an index is added to it (default 60 s). */
  readyTimeoutMs?: number;
  /** Pause between two DescribeTable calls while waiting (default 1 s). */
  pollMs?: number;
}

type Action =
  | { kind: 'table'; spec: TableSpec }
  | { kind: 'columns'; table: string; columns: NonNullable<TableSpec['definedColumns']> }
  | { kind: 'index'; table: string; index: IndexSpec }
  | { kind: 'problem'; text: string };

/** Every table the deployment under `tablePrefix` uses, with its indexes. */
export function deploymentTables(tablePrefix: string): TableSpec[] {
  return [...taskTableSpecs(taskTableNames(tablePrefix)), conversationTableSpec(conversationTableName(tablePrefix)), keyTableSpec(keyTableName(tablePrefix)), ...guardTableSpecs(guardTableNames(tablePrefix)), pipelineTableSpec(pipelineTableNames(tablePrefix))];
}

const keyText = (pk: TableSpec['primaryKey']) => pk.map((c) => `${c.name} ${c.type}`).join(', ');
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What stands between an existing table and its spec: defined columns and indexes to add, or problems. */
function compare(spec: TableSpec, found: TableDescription): Action[] {
  const problem = (text: string): Action => ({ kind: 'problem', text: `problem: table ${spec.name} ${text}; it is left as it is: change or remove it by hand` });
  if (keyText(found.primaryKey) !== keyText(spec.primaryKey)) return [problem(`has primary key (${keyText(found.primaryKey)}), expected (${keyText(spec.primaryKey)})`)];
  const out: Action[] = [];
  const missing: NonNullable<TableSpec['definedColumns']> = [];
  for (const want of spec.definedColumns ?? []) {
    const have = found.definedColumns.find((d) => d.name === want.name);
    // a column added since the table was made (tasks' tenant) is declared; one of another type needs a person
    if (!have) missing.push(want);
    else if (have.type !== want.type) out.push(problem(`declares ${want.name} as ${have.type}, expected ${want.type}`));
  }
  // before the indexes: an index may only be built from declared columns
  if (missing.length) out.push({ kind: 'columns', table: spec.name, columns: missing });
  if (found.timeToLive !== spec.timeToLive) out.push(problem(`keeps cells ${found.timeToLive} s, expected ${spec.timeToLive}`));
  if (found.maxVersions !== spec.maxVersions) out.push(problem(`keeps ${found.maxVersions} versions, expected ${spec.maxVersions}`));
  for (const index of spec.indexes ?? []) {
    const have = found.indexes.find((i) => i.name === index.name);
    if (!have) out.push({ kind: 'index', table: spec.name, index });
    else if (!sameList(have.primaryKey, index.primaryKey) || !sameList(have.definedColumns ?? [], index.definedColumns ?? [])) {
      out.push(problem(`has index ${index.name} on (${have.primaryKey.join(', ')}) carrying (${(have.definedColumns ?? []).join(', ')}), expected on (${index.primaryKey.join(', ')}) carrying (${(index.definedColumns ?? []).join(', ')})`));
    }
  }
  return out;
}

function lineOf(a: Action): string {
  if (a.kind === 'problem') return a.text;
  if (a.kind === 'columns') return `add defined column${a.columns.length > 1 ? 's' : ''} ${a.columns.map((c) => `${c.name} ${c.type}`).join(', ')} to ${a.table}`;
  if (a.kind === 'index') return `create index ${a.index.name} on ${a.table} (${a.index.primaryKey.join(', ')})`;
  const indexes = (a.spec.indexes ?? []).map((i) => i.name);
  return `create table ${a.spec.name} (${keyText(a.spec.primaryKey)})${indexes.length ? ` with indexes ${indexes.join(', ')}` : ''}`;
}

const alreadyExists = (e: unknown) => e instanceof OtsError && e.code === 'OTSObjectAlreadyExist';

export function tableSetupStep(client: TablestoreClient, tablePrefix: string, options: TableSetupOptions = {}): SetupStep {
  const specs = deploymentTables(tablePrefix);

  const survey = async (): Promise<Action[]> => {
    const existing = new Set(await client.listTables());
    const actions: Action[] = [];
    for (const spec of specs) {
      const found = existing.has(spec.name) ? await client.describeTable(spec.name) : undefined;
      actions.push(...(found ? compare(spec, found) : [{ kind: 'table' as const, spec }]));
    }
    return actions;
  };

  const waitActive = async (table: string): Promise<void> => {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    for (;;) {
      const d = await client.describeTable(table);
      if (d && (d.status === undefined || d.status === 'ACTIVE')) return;
      if (Date.now() >= deadline) throw new TableSetupError(`table ${table} is ${d ? d.status : 'missing'} after ${options.readyTimeoutMs ?? 60_000} ms; run the set-up again later`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
  };

  return {
    name: `Table Store tables${tablePrefix ? ` (prefix ${tablePrefix})` : ''}`,
    plan: async () => (await survey()).map(lineOf),
    apply: async () => {
      const actions = await survey();
      const problems = actions.filter((a) => a.kind === 'problem').map(lineOf);
      if (problems.length > 0) throw new TableSetupError(`Table Store set-up stopped before changing anything:\n  ${problems.join('\n  ')}`);
      for (const a of actions) {
        // another run (or a retried request) may have created it first: what exists is what was wanted
        if (a.kind === 'table') await client.createTable(a.spec).catch((e: unknown) => (alreadyExists(e) ? undefined : Promise.reject(e)));
        if (a.kind === 'columns') {
          await waitActive(a.table);
          await client.addDefinedColumns(a.table, a.columns);
        }
        if (a.kind === 'index') {
          await waitActive(a.table);
          await client.createIndex(a.table, a.index, { includeBaseData: true }).catch((e: unknown) => (alreadyExists(e) ? undefined : Promise.reject(e)));
        }
      }
      // the stores' first requests should not meet a table still loading
      for (const a of actions) if (a.kind === 'table') await waitActive(a.spec.name);
    },
  };
}
