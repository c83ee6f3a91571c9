// The Table Store provisioning step over the stand-in: it lists what is missing, creates it, then has nothing left
// to do; a table already there in another shape is reported and left alone.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TablestoreClient } from '../shared/adapters/tablestore/tablestore-client.ts';
import { deploymentTables, TableSetupError, tableSetupStep } from '../shared/adapters/tablestore/table-setup.ts';
import { taskTableNames } from '../shared/adapters/tablestore/task-tables.ts';
import { TablestoreStandin, TEST_CREDENTIALS } from '../dev/standins/tablestore/tablestore-standin.ts';

describe('tableSetupStep over the stand-in', () => {
  let standin: TablestoreStandin;
  let client: TablestoreClient;
  beforeEach(async () => {
    standin = await new TablestoreStandin().start();
    client = new TablestoreClient({ endpoint: standin.endpoint, instance: standin.instance, credentials: () => TEST_CREDENTIALS });
  });
  afterEach(async () => {
    await standin.stop();
  });

  it('plans every table on an empty instance, creates them, then plans nothing; a second apply is harmless', async () => {
    const step = tableSetupStep(client, 'p_');
    expect(await step.plan()).toEqual([
      'create table p_tasks (id STRING) with indexes p_tasks_by_due, p_tasks_by_status, p_tasks_by_created, p_tasks_by_tenant_status, p_tasks_by_tenant_created',
      'create table p_task_idempotency (key STRING)',
      'create table p_conversations (id STRING)',
      'create table p_client_keys (hash STRING)',
      'create table p_guard_counters (key STRING)',
      'create table p_guard_reservations (id STRING) with indexes p_guard_reservations_by_expiry',
      'create table p_guard_ledger (month STRING, at_id STRING)',
      'create table p_guard_claims (id STRING)',
      'create table p_pipelines (id STRING) with indexes p_pipelines_by_due',
    ]);
    await step.apply();
    expect(await step.plan()).toEqual([]);
    expect((await client.listTables()).sort()).toEqual(['p_client_keys', 'p_conversations', 'p_guard_claims', 'p_guard_counters', 'p_guard_ledger', 'p_guard_reservations', 'p_pipelines', 'p_task_idempotency', 'p_tasks']);
    // the counters expire with the table's TTL; everything else is kept
    expect((await client.describeTable('p_guard_counters'))?.timeToLive).toBe(40 * 86_400);
    expect((await client.describeTable('p_guard_reservations'))?.indexes.map((i) => [i.name, i.primaryKey])).toEqual([['p_guard_reservations_by_expiry', ['expires_at', 'id']]]);
    const tasks = await client.describeTable('p_tasks');
    expect(tasks?.indexes.map((i) => [i.name, i.primaryKey, i.definedColumns])).toEqual([
      ['p_tasks_by_due', ['due_at', 'id'], ['lease_until']],
      ['p_tasks_by_status', ['status', 'created_at', 'id'], []],
      ['p_tasks_by_created', ['created_at', 'id'], []],
      ['p_tasks_by_tenant_status', ['tenant', 'status', 'created_at', 'id'], []],
      ['p_tasks_by_tenant_created', ['tenant', 'created_at', 'id'], []],
    ]);
    const creates = standin.requests.filter((r) => r.op === 'CreateTable').length;
    await step.apply();
    expect(standin.requests.filter((r) => r.op === 'CreateTable' || r.op === 'CreateIndex')).toHaveLength(creates);
    // another deployment's prefix on the same instance still has everything to create
    expect(await tableSetupStep(client, 'q_').plan()).toHaveLength(9);
  });

  it('adds an index missing from an existing table, indexing the rows already there', async () => {
    const [tasks] = deploymentTables('');
    const names = taskTableNames('');
    await client.createTable({ ...tasks!, indexes: tasks!.indexes!.filter((i) => i.name !== names.dueIndex) });
    await client.putRow(names.tasks, [['id', 't1']], { due_at: 5n, lease_until: 1n }, { row: 'IGNORE' });
    const step = tableSetupStep(client, '');
    expect((await step.plan()).slice(0, 4)).toEqual([`create index ${names.dueIndex} on ${names.tasks} (due_at, id)`, 'create table task_idempotency (key STRING)', 'create table conversations (id STRING)', 'create table client_keys (hash STRING)']);
    await step.apply();
    expect(await step.plan()).toEqual([]);
    const due = await client.getRange(names.dueIndex, { start: [['due_at', 0n], ['id', '']], end: [['due_at', 10n], ['id', '']], limit: 10 });
    expect(due.rows.map((r) => [r.key, r.columns])).toEqual([[{ due_at: 5n, id: 't1' }, { lease_until: 1n }]]);
  });

  it('upgrades a tasks table from before tasks had owners: declares the tenant column, then adds the tenant indexes over the rows already there', async () => {
    const [tasks] = deploymentTables('');
    const names = taskTableNames('');
    const tenantIndexes = [names.tenantStatusIndex, names.tenantCreatedIndex];
    await client.createTable({ ...tasks!, definedColumns: tasks!.definedColumns!.filter((c) => c.name !== 'tenant'), indexes: tasks!.indexes!.filter((i) => !tenantIndexes.includes(i.name)) });
    // a row written before the column was declared, and one without a tenant at all
    await client.putRow(names.tasks, [['id', 't1']], { tenant: 'acme', status: 'PENDING', created_at: 5n }, { row: 'IGNORE' });
    await client.putRow(names.tasks, [['id', 't0']], { status: 'PENDING', created_at: 4n }, { row: 'IGNORE' });
    const step = tableSetupStep(client, '');
    expect((await step.plan()).slice(0, 3)).toEqual([
      `add defined column tenant STRING to ${names.tasks}`,
      `create index ${names.tenantStatusIndex} on ${names.tasks} (tenant, status, created_at, id)`,
      `create index ${names.tenantCreatedIndex} on ${names.tasks} (tenant, created_at, id)`,
    ]);
    await step.apply();
    expect(await step.plan()).toEqual([]);
    expect((await client.describeTable(names.tasks))?.definedColumns).toContainEqual({ name: 'tenant', type: 'STRING' });
    const ops = standin.requests.map((r) => r.op);
    expect(ops.indexOf('AddDefinedColumn')).toBeLessThan(ops.indexOf('CreateIndex'));
    const mine = await client.getRange(names.tenantCreatedIndex, { start: [['tenant', 'acme'], ['created_at', 0n], ['id', '']], end: [['tenant', 'acme'], ['created_at', 10n], ['id', '']], limit: 10 });
    expect(mine.rows.map((r) => r.key)).toEqual([{ tenant: 'acme', created_at: 5n, id: 't1' }]);
  });

  it("sends only operations the operator's policy (deploy/operator-policy.json) allows, upgrading a table as much as creating one", async () => {
    const [tasks] = deploymentTables('u_');
    await client.createTable({ ...tasks!, definedColumns: tasks!.definedColumns!.filter((c) => c.name !== 'tenant'), indexes: [] });
    await tableSetupStep(client, 'u_').apply();
    await tableSetupStep(client, 'n_').apply();
    const policy = JSON.parse(readFileSync(new URL('../deploy/operator-policy.json', import.meta.url), 'utf8')) as { Statement: { Action: string[] }[] };
    const allowed = new Set(policy.Statement.flatMap((s) => s.Action));
    const sent = new Set(standin.requests.map((r) => `ots:${r.op}`));
    expect(sent).toContain('ots:AddDefinedColumn');
    for (const op of sent) expect(allowed, op).toContain(op);
  });

  it('reports a defined column declared with another type, and adds nothing', async () => {
    const [tasks] = deploymentTables('');
    await client.createTable({ ...tasks!, definedColumns: tasks!.definedColumns!.map((c) => (c.name === 'tenant' ? { ...c, type: 'INTEGER' as const } : c)), indexes: [] });
    const step = tableSetupStep(client, '');
    expect(await step.plan()).toContain('problem: table tasks declares tenant as INTEGER, expected STRING; it is left as it is: change or remove it by hand');
    await expect(step.apply()).rejects.toBeInstanceOf(TableSetupError);
    expect(standin.requests.filter((r) => r.op === 'AddDefinedColumn' || r.op === 'CreateIndex')).toEqual([]);
  });

  it('reports a table whose primary key differs, and refuses to apply anything until it is fixed', async () => {
    await client.createTable({ name: 'conversations', primaryKey: [{ name: 'id', type: 'INTEGER' }], timeToLive: -1, maxVersions: 1 });
    const step = tableSetupStep(client, '');
    const plan = await step.plan();
    expect(plan).toContain('problem: table conversations has primary key (id INTEGER), expected (id STRING); it is left as it is: change or remove it by hand');
    await expect(step.apply()).rejects.toBeInstanceOf(TableSetupError);
    expect(await client.listTables()).toEqual(['conversations']);
    expect(standin.requests.filter((r) => r.op === 'CreateTable')).toHaveLength(1);
  });

  it('counts OTSObjectAlreadyExist as done: the table is there, as a concurrent run or a retried request leaves it', async () => {
    const step = tableSetupStep(client, '', { pollMs: 10, readyTimeoutMs: 1000 });
    // the first CreateTable lands, but is answered as if another run had been first
    standin.inject({ op: 'CreateTable', kind: 'status', status: 409, code: 'OTSObjectAlreadyExist', committed: true });
    await step.apply();
    expect(await step.plan()).toEqual([]);
    expect(standin.requests.filter((r) => r.op === 'CreateTable').map((r) => r.status)).toEqual([409, 200, 200, 200, 200, 200, 200, 200, 200]);
  });

  it('waits for each new table to be ACTIVE, and adds an index only to an ACTIVE table', async () => {
    const loading = await new TablestoreStandin({ loadingDescribes: 2 }).start();
    try {
      const c = new TablestoreClient({ endpoint: loading.endpoint, instance: loading.instance, credentials: () => TEST_CREDENTIALS });
      const [tasks] = deploymentTables('');
      await c.createTable({ ...tasks!, indexes: [] });
      await tableSetupStep(c, '', { pollMs: 5 }).apply();
      const ops = loading.requests.map((r) => `${r.op} ${r.table ?? ''}`.trim());
      // the survey's DescribeTable of tasks sees LOADING (1 of 2); the wait sees it once more, then ACTIVE
      const firstIndex = ops.indexOf('CreateIndex tasks');
      expect(ops.slice(0, firstIndex).filter((o) => o === 'DescribeTable tasks')).toHaveLength(3);
      for (const t of ['task_idempotency', 'conversations', 'client_keys']) expect(ops.filter((o) => o === `DescribeTable ${t}`)).toHaveLength(3);
      expect(await tableSetupStep(c, '').plan()).toEqual([]);
    } finally {
      await loading.stop();
    }
  });

  it('gives up waiting for a table that never becomes ACTIVE, naming it', async () => {
    const step = tableSetupStep(client, '', { pollMs: 10, readyTimeoutMs: 100 });
    // answered as created, but never made: the wait cannot end well
    standin.inject({ op: 'CreateTable', kind: 'status', status: 409, code: 'OTSObjectAlreadyExist' });
    await expect(step.apply()).rejects.toThrow(/table tasks is missing after 100 ms/);
  });
});
