// The Table Store tables behind TaskStore: `tasks` (pk id) with three asynchronous global indexes (due time,
// status by creation, creation), and the idempotency keys. One definition for set-up scripts and tests.
import type { TablestoreClient } from './tablestore-client.ts';

export interface TaskTableNames {
  tasks: string;
  idempotency: string;
  /** Index on (due_at, id) carrying lease_until: what listDue reads. */
  dueIndex: string;
  /** Index on (status, created_at, id): listByStatus of one status. */
  statusIndex: string;
  /** Index on (created_at, id): listByStatus of every status. */
  createdIndex: string;
}

/** Table names with an optional prefix, so several deployments (or test runs) can share an instance. */
export function taskTableNames(prefix = ''): TaskTableNames {
  return {
    tasks: `${prefix}tasks`,
    idempotency: `${prefix}task_idempotency`,
    dueIndex: `${prefix}tasks_by_due`,
    statusIndex: `${prefix}tasks_by_status`,
    createdIndex: `${prefix}tasks_by_created`,
  };
}

const DCT_INTEGER = 1;
const DCT_STRING = 4;
const common = { reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } };

/** Creates both tables and the indexes (TTL -1: a table with a global index cannot expire rows otherwise). */
export async function createTaskTables(client: TablestoreClient, names: TaskTableNames): Promise<void> {
  const index = (name: string, primaryKey: string[], definedColumn: string[] = []) => ({ name, primaryKey, definedColumn });
  await client.createTable({
    tableMeta: {
      tableName: names.tasks,
      primaryKey: [{ name: 'id', type: 'STRING' }],
      definedColumn: [
        { name: 'version', type: DCT_INTEGER },
        { name: 'status', type: DCT_STRING },
        { name: 'created_at', type: DCT_INTEGER },
        { name: 'due_at', type: DCT_INTEGER },
        { name: 'lease_until', type: DCT_INTEGER },
      ],
    },
    ...common,
    indexMetas: [
      index(names.dueIndex, ['due_at', 'id'], ['lease_until']),
      index(names.statusIndex, ['status', 'created_at', 'id']),
      index(names.createdIndex, ['created_at', 'id']),
    ],
  });
  await client.createTable({ tableMeta: { tableName: names.idempotency, primaryKey: [{ name: 'key', type: 'STRING' }] }, ...common });
}
