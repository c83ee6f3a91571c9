// The Table Store tables behind TaskStore: `tasks` (pk id) with five asynchronous global indexes (due time;
// status by creation; creation; each of the last two led by the tenant), and the idempotency keys. One
// definition for set-up scripts and tests.
import type { TablestoreClient, TableSpec } from './tablestore-client.ts';

export interface TaskTableNames {
  tasks: string;
  idempotency: string;
  /** Index on (due_at, id) carrying lease_until: what listDue reads. */
  dueIndex: string;
  /** Index on (status, created_at, id): listByStatus of one status. */
  statusIndex: string;
  /** Index on (created_at, id): listByStatus of every status. */
  createdIndex: string;
  /** Index on (tenant, status, created_at, id): listByStatus of one tenant's tasks of one status. */
  tenantStatusIndex: string;
  /** Index on (tenant, created_at, id): listByStatus of one tenant's tasks of every status. */
  tenantCreatedIndex: string;
}

/** Table names with an optional prefix, so several deployments (or test runs) can share an instance. */
export function taskTableNames(prefix = ''): TaskTableNames {
  return {
    tasks: `${prefix}tasks`,
    idempotency: `${prefix}task_idempotency`,
    dueIndex: `${prefix}tasks_by_due`,
    statusIndex: `${prefix}tasks_by_status`,
    createdIndex: `${prefix}tasks_by_created`,
    tenantStatusIndex: `${prefix}tasks_by_tenant_status`,
    tenantCreatedIndex: `${prefix}tasks_by_tenant_created`,
  };
}

/** The two tables (TTL -1: a table with a global index cannot expire rows otherwise). */
export function taskTableSpecs(names: TaskTableNames): TableSpec[] {
  const common = { timeToLive: -1, maxVersions: 1 };
  return [
    {
      name: names.tasks,
      primaryKey: [{ name: 'id', type: 'STRING' }],
      definedColumns: [
        { name: 'version', type: 'INTEGER' },
        { name: 'status', type: 'STRING' },
        { name: 'tenant', type: 'STRING' },
        { name: 'created_at', type: 'INTEGER' },
        { name: 'due_at', type: 'INTEGER' },
        { name: 'lease_until', type: 'INTEGER' },
      ],
      indexes: [
        { name: names.dueIndex, primaryKey: ['due_at', 'id'], definedColumns: ['lease_until'] },
        { name: names.statusIndex, primaryKey: ['status', 'created_at', 'id'] },
        { name: names.createdIndex, primaryKey: ['created_at', 'id'] },
        // rows without a tenant (written before tasks had owners) are in neither: admins list those
        { name: names.tenantStatusIndex, primaryKey: ['tenant', 'status', 'created_at', 'id'] },
        { name: names.tenantCreatedIndex, primaryKey: ['tenant', 'created_at', 'id'] },
      ],
      ...common,
    },
    { name: names.idempotency, primaryKey: [{ name: 'key', type: 'STRING' }], ...common },
  ];
}

/** Creates both tables and the indexes. */
export async function createTaskTables(client: TablestoreClient, names: TaskTableNames): Promise<void> {
  for (const spec of taskTableSpecs(names)) await client.createTable(spec);
}
