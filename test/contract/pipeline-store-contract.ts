// The one contract every PipelineStore adapter must pass (SQLite locally, Table Store in the cloud): create-once,
// conditional replace on version, faithful round trips, and the due list the timer's sweep reads.
import { afterEach, describe, expect, it } from 'vitest';
import { initialSteps, withStep, type Pipeline } from '../../shared/domain/pipeline.ts';
import { PipelineConflictError, type PipelineStore } from '../../shared/ports/pipeline-store.ts';

export interface PipelineStoreContractOptions {
  name?: string;
  /** A fresh, empty store. */
  create: () => PipelineStore | Promise<PipelineStore>;
  dispose?: (store: PipelineStore) => void | Promise<void>;
  /** Waits for an asynchronous index to catch up (Table Store); default nothing. */
  settle?: () => Promise<void>;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000).toISOString();

function pipeline(id: string, extra: Partial<Pipeline> = {}): Pipeline {
  return {
    id,
    tenant: 'acme',
    topic: 'Tides of 北京 & the moon',
    language: 'en',
    style: 'informative',
    status: 'QUEUED',
    steps: initialSteps(),
    outputs: [],
    version: 1,
    dueAt: at(0),
    createdAt: at(0),
    updatedAt: at(0),
    ...extra,
  };
}

export function runPipelineStoreContract(options: PipelineStoreContractOptions): void {
  describe(`PipelineStore contract${options.name ? ` (${options.name})` : ''}`, () => {
    const opened: PipelineStore[] = [];
    const fresh = async () => {
      const s = await options.create();
      opened.push(s);
      return s;
    };
    const settle = () => options.settle?.() ?? Promise.resolve();
    afterEach(async () => {
      for (const s of opened.splice(0)) await options.dispose?.(s);
    });

    it('returns undefined for a pipeline never written', async () => {
      expect(await (await fresh()).get('pipe_missing')).toBeUndefined();
    });

    it('creates at version 1 and reads back every field, article, steps and outputs included', async () => {
      const store = await fresh();
      let p = pipeline('pipe_a', {
        status: 'RUNNING',
        article: { title: 'T', introduction: 'Intro "quoted"', sections: [{ heading: 'H1', body: 'B1\n\nmore' }], conclusion: 'C' },
        illustrationPrompt: 'a drawing',
        outputs: [{ name: 'article', key: 'pipelines/pipe_a/article.md', contentType: 'text/markdown; charset=utf-8', bytes: 12, sha256: 'ab'.repeat(32) }],
      });
      p = withStep(p, 'illustration', (s) => ({ ...s, status: 'RUNNING', taskId: 'task_1', startedAt: at(1) }));
      p = withStep(p, 'narration', (s) => ({ ...s, status: 'FAILED', error: { step: 'narration', code: 'x', message: 'y' }, attempts: 2 }));
      const created = await store.put(p, 0);
      expect(created.version).toBe(1);
      expect(await store.get('pipe_a')).toEqual({ ...p, version: 1 });
    });

    it('refuses a second create of the same id and keeps the first', async () => {
      const store = await fresh();
      await store.put(pipeline('pipe_b', { topic: 'first' }), 0);
      await expect(store.put(pipeline('pipe_b', { topic: 'second' }), 0)).rejects.toBeInstanceOf(PipelineConflictError);
      expect((await store.get('pipe_b'))?.topic).toBe('first');
    });

    it('replaces on the expected version, refuses a stale one and keeps the winner', async () => {
      const store = await fresh();
      const v1 = await store.put(pipeline('pipe_c'), 0);
      const winner = await store.put({ ...v1, status: 'RUNNING', updatedAt: at(5) }, v1.version);
      expect(winner.version).toBe(2);
      const err = await store.put({ ...v1, status: 'FAILED' }, v1.version).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineConflictError);
      expect(err).toMatchObject({ pipelineId: 'pipe_c', expectedVersion: 1 });
      expect(await store.get('pipe_c')).toEqual(winner);
    });

    it('refuses an update of a pipeline that does not exist', async () => {
      const store = await fresh();
      await expect(store.put(pipeline('pipe_d'), 3)).rejects.toBeInstanceOf(PipelineConflictError);
      expect(await store.get('pipe_d')).toBeUndefined();
    });

    it('lists the unfinished pipelines due by now, earliest first, up to the limit', async () => {
      const store = await fresh();
      await store.put(pipeline('pipe_e3', { dueAt: at(30) }), 0);
      await store.put(pipeline('pipe_e1', { dueAt: at(10) }), 0);
      await store.put(pipeline('pipe_e2', { dueAt: at(20) }), 0);
      await store.put(pipeline('pipe_later', { dueAt: at(500) }), 0);
      await store.put(pipeline('pipe_nodue', { dueAt: undefined }), 0);
      await store.put(pipeline('pipe_done', { status: 'COMPLETED', dueAt: at(1) }), 0);
      await settle();
      const now = new Date(T0.getTime() + 60_000);
      expect((await store.listDue(now, 10)).map((p) => p.id)).toEqual(['pipe_e1', 'pipe_e2', 'pipe_e3']);
      expect((await store.listDue(now, 2)).map((p) => p.id)).toEqual(['pipe_e1', 'pipe_e2']);
    });

    it('drops a pipeline from the due list once it finishes or its due time moves on', async () => {
      const store = await fresh();
      const a = await store.put(pipeline('pipe_f1', { dueAt: at(10) }), 0);
      const b = await store.put(pipeline('pipe_f2', { dueAt: at(10) }), 0);
      await store.put({ ...a, status: 'FAILED', dueAt: undefined }, a.version);
      await store.put({ ...b, dueAt: at(900) }, b.version);
      await settle();
      expect(await store.listDue(new Date(T0.getTime() + 60_000), 10)).toEqual([]);
    });
  });
}
