// The Table Store stores bundled the way scripts/build.ts bundles a function (esbuild, ESM, so strict mode)
// and run against the stand-in: what a function carries to FC is what is exercised here.
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/build.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TablestoreStandin, TEST_CREDENTIALS } from '../../dev/standins/tablestore/tablestore-standin.ts';
import type { TaskStore } from '../../shared/ports/task-store.ts';
import type { ConversationStore } from '../../shared/ports/conversation-store.ts';
import type { GuardStore } from '../../shared/ports/guard-store.ts';
import { makeTask } from './task-store-contract.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = `
import { TablestoreClient } from '${ROOT}/shared/adapters/tablestore/tablestore-client.ts';
import { TablestoreTaskStore } from '${ROOT}/shared/adapters/tablestore/tablestore-task-store.ts';
import { createTaskTables, taskTableNames } from '${ROOT}/shared/adapters/tablestore/task-tables.ts';
import { TablestoreConversationStore, createConversationTable } from '${ROOT}/shared/adapters/tablestore/tablestore-conversation-store.ts';
import { TablestoreGuardStore } from '${ROOT}/shared/adapters/tablestore/tablestore-guard-store.ts';
import { createGuardTables, guardTableNames } from '${ROOT}/shared/adapters/tablestore/guard-tables.ts';
export async function open(endpoint, instance, credentials) {
  const client = new TablestoreClient({ endpoint, instance, credentials: () => credentials });
  await createTaskTables(client, taskTableNames());
  await createConversationTable(client, 'conversations');
  await createGuardTables(client, guardTableNames());
  return {
    tasks: new TablestoreTaskStore(client, taskTableNames()),
    conversations: new TablestoreConversationStore(client, 'conversations'),
    guards: new TablestoreGuardStore(client, guardTableNames()),
  };
}
`;

describe('Table Store stores bundled as a function bundles them (strict-mode ESM)', () => {
  let dir: string;
  let standin: TablestoreStandin;
  let stores: { tasks: TaskStore; conversations: ConversationStore; guards: GuardStore };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ots-bundle-'));
    writeFileSync(join(dir, 'entry.mjs'), ENTRY);
    await build({
      ...bundleOptions(ROOT),
      entryPoints: [join(dir, 'entry.mjs')],
      outfile: join(dir, 'out.mjs'),
      nodePaths: [join(ROOT, 'node_modules')],
      logLevel: 'silent',
    });
    standin = await new TablestoreStandin().start();
    const mod = (await import(pathToFileURL(join(dir, 'out.mjs')).href)) as { open: (e: string, i: string, c: typeof TEST_CREDENTIALS) => Promise<typeof stores> };
    stores = await mod.open(standin.endpoint, standin.instance, TEST_CREDENTIALS);
  }, 60_000);
  afterAll(async () => {
    await standin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, updates, leases and lists tasks, and writes a conversation', async () => {
    const task = makeTask({ dueAt: new Date(Date.parse('2030-01-01T00:00:01Z')).toISOString() });
    await stores.tasks.create(task);
    const now = new Date('2030-01-01T00:01:00Z');
    const updated = await stores.tasks.update(task.id, 1, { pollCount: 2 }, now);
    expect(await stores.tasks.get(task.id)).toEqual(updated);
    expect((await stores.tasks.listDue(now, 10)).map((t) => t.id)).toEqual([task.id]);
    expect(await stores.tasks.tryLease(task.id, 'p', new Date('2030-01-01T00:02:00Z'), now)).toMatchObject({ version: 3 });
    expect((await stores.tasks.listByStatus(undefined, 10, undefined, 'desc')).tasks.map((t) => t.id)).toEqual([task.id]);
    expect(await stores.tasks.putIdempotencyKey({ key: 'k', taskId: task.id, requestHash: 'h', createdAt: now.toISOString() })).toBeUndefined();
    const conv = await stores.conversations.put('c', 0, { turns: [] }, now);
    expect(await stores.conversations.get('c')).toEqual(conv);
  });

  it('admits, settles once, expires a reservation and lists the ledger', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const later = new Date('2030-02-01T00:00:00Z');
    const admit = (id: string) =>
      stores.guards.admit({ charges: [{ key: 'day', amount: 60, limit: 100, rule: 'under', expiresAt: later }], reservation: { id, keys: ['day'], amount: 60, expiresAt: new Date('2030-01-01T00:05:00Z') } }, now);
    expect(await admit('r1')).toEqual({ admitted: true });
    expect(await admit('r2')).toEqual({ admitted: true });
    expect(await admit('r3')).toMatchObject({ admitted: false, current: { held: 120 } });
    const entry = { id: 'chat:1', tenant: 'acme', model: 'qwen-plus', kind: 'chat' as const, at: now.toISOString(), costMicros: 45, units: { prompt_tokens: 3 } };
    const settlement = { reservationId: 'r1', entry, spendKeys: [{ key: 'day', expiresAt: later }] };
    expect(await stores.guards.settle(settlement, now)).toEqual({ recorded: true, spend: [{ key: 'day', before: 0, after: 45 }] });
    expect((await stores.guards.settle(settlement, now)).recorded).toBe(false);
    expect(await stores.guards.expireReservations(new Date('2030-01-01T00:05:00Z'), 10)).toBe(1);
    expect(await stores.guards.read(['day'])).toEqual([{ key: 'day', spent: 45, held: 0 }]);
    expect(await stores.guards.claimAlert('a', now)).toBe(true);
    expect(await stores.guards.listLedger({ from: now, to: later, limit: 5 })).toEqual({ entries: [entry] });
  });
});
