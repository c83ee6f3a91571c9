// Runs the PipelineStore contract against TablestorePipelineStore over the wire-level stand-in (one stand-in per
// store), plus an ambiguous write settled by re-reading and a lagging due index.
import { describe, expect, it } from 'vitest';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { createPipelineTable, pipelineTableNames, TablestorePipelineStore } from '../../shared/adapters/tablestore/tablestore-pipeline-store.ts';
import { initialSteps, type Pipeline } from '../../shared/domain/pipeline.ts';
import type { PipelineStore } from '../../shared/ports/pipeline-store.ts';
import { TablestoreStandin, TEST_CREDENTIALS } from '../../dev/standins/tablestore/tablestore-standin.ts';
import { runPipelineStoreContract } from './pipeline-store-contract.ts';

const standins = new Map<PipelineStore, TablestoreStandin>();

async function overStandin(indexLagMs = 0): Promise<{ store: TablestorePipelineStore; standin: TablestoreStandin }> {
  const standin = await new TablestoreStandin({ indexLagMs }).start();
  const client = new TablestoreClient({ endpoint: standin.endpoint, instance: standin.instance, credentials: () => TEST_CREDENTIALS });
  await createPipelineTable(client, pipelineTableNames());
  const store = new TablestorePipelineStore(client, pipelineTableNames());
  standins.set(store, standin);
  return { store, standin };
}

runPipelineStoreContract({
  name: 'Table Store stand-in',
  create: async () => (await overStandin()).store,
  dispose: async (store) => {
    await standins.get(store)?.stop();
    standins.delete(store);
  },
});

const T0 = new Date('2026-03-01T10:00:00.000Z');
const base = (id: string): Pipeline => ({
  id,
  tenant: 'acme',
  topic: 't',
  language: 'en',
  style: 'informative',
  status: 'QUEUED',
  steps: initialSteps(),
  outputs: [],
  version: 1,
  dueAt: T0.toISOString(),
  createdAt: T0.toISOString(),
  updatedAt: T0.toISOString(),
});

describe('TablestorePipelineStore over the stand-in', () => {
  it('settles writes whose answers were lost after they committed: success, not a conflict', async () => {
    const { store, standin } = await overStandin();
    try {
      standin.inject({ op: 'PutRow', kind: 'commit-then-drop' });
      const created = await store.put(base('pipe_x'), 0);
      standin.inject({ op: 'UpdateRow', kind: 'commit-then-drop' });
      const next = await store.put({ ...created, status: 'RUNNING' }, created.version);
      expect(next.version).toBe(2);
      expect(await store.get('pipe_x')).toEqual(next);
    } finally {
      await standin.stop();
    }
  });

  it('drops a finished pipeline that a lagging due index still lists', async () => {
    const { store, standin } = await overStandin();
    try {
      const p = await store.put(base('pipe_lag'), 0);
      standin.indexLagMs = 60_000;
      await store.put({ ...p, status: 'COMPLETED', dueAt: undefined }, p.version);
      expect(await store.listDue(new Date(T0.getTime() + 1000), 10)).toEqual([]);
    } finally {
      await standin.stop();
    }
  });
});
