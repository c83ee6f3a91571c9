// Fine-tune tasks against the emulator with the local composition root: a job DashScope fails, an ambiguous
// create reconciled from the job list by its name, a poll stopped between SUCCEEDED and PERSISTED, and a
// training file emptied before the create went out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/domain/tenant.ts';
import { createFineTune } from '../../shared/use-cases/finetune/create-fine-tune.ts';
import { parseFineTuneRequest } from '../../shared/use-cases/finetune/fine-tune-request.ts';
import { StepCrash, type StepName } from '../../shared/use-cases/tasks/task-deps.ts';
import { createEmulatorHarness, type EmulatorHarness } from './emulator-harness.ts';

const ACME: Principal = { tenant: 'acme', role: 'app', limits: {}, budgets: {} };
const FILE = 'inbox/acme/finetune/train.jsonl';
const example = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] });
const DATA = `${Array.from({ length: 50 }, (_, i) => example(i)).join('\n')}\n`;

let h: EmulatorHarness;
let seq = 0;

beforeEach(async () => {
  h = await createEmulatorHarness({
    taskTimings: { image: { pendingMs: 20, runningMs: 40 }, video: { pendingMs: 20, runningMs: 60 }, 'fine-tune': { pendingMs: 20, runningMs: 60 } },
    rateLimits: { '*': { rpm: Infinity, submitsPerSecond: Infinity, concurrentTasks: Infinity } },
  });
  await h.deps.objects.put(FILE, Buffer.from(DATA), { contentType: 'application/jsonl' });
});
afterEach(() => h.close());

const start = (hooks?: Parameters<EmulatorHarness['taskDeps']>[0]) =>
  createFineTune(h.taskDeps(hooks), { request: parseFineTuneRequest({ training_file: FILE, model: 'qwen-turbo' }), principal: ACME, requestId: `req-${++seq}` }, h.timings);
const jobCreates = () => h.emu.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/fine-tunes').length;
const uploads = () => h.emu.requests.filter((r) => r.method === 'POST' && r.path === '/compatible-mode/v1/files').length;

describe('fine-tune tasks', () => {
  it('records a job DashScope failed as FAILED with its code and no model id', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/fine-tunes', method: 'POST' }, fault: { kind: 'task-fail', code: 'TrainingFailed', message: 'loss diverged' } });
    const { result } = await start();
    expect(result.kind).toBe('submitted');
    const [done] = await h.settle([result.task.id]);
    expect(done).toMatchObject({ status: 'FAILED', error: { code: 'TrainingFailed', message: 'loss diverged' } });
    expect(done!.fineTunedModel).toBeUndefined();
    expect(h.eventsOf(done!.id).types).toEqual(['task.submitted', 'task.failed']);
  });

  it('adopts the job of an ambiguous create by its name in the job list, creating it once', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/fine-tunes', method: 'POST' }, fault: { kind: 'reset-after-commit' } });
    const { result } = await start();
    expect(result.kind).toBe('ambiguous');
    const [done] = await h.settle([result.task.id], 12);
    expect(done).toMatchObject({ status: 'PERSISTED', fineTunedModel: expect.stringMatching(/^qwen-turbo-ft-/) });
    expect(jobCreates()).toBe(1);
    expect(h.eventsOf(done!.id).types).toEqual(['task.submitted', 'task.succeeded', 'task.persisted']);
  });

  it('finishes a task whose poll stopped between SUCCEEDED and PERSISTED, with each event once', async () => {
    const { result } = await start();
    const id = result.task.id;
    let crashed = false;
    const hooks = {
      step: async (s: StepName) => {
        if (crashed || s !== 'poll:transitioned' || (await h.deps.tasks.get(id))?.status !== 'SUCCEEDED') return;
        crashed = true;
        throw new Error('process died');
      },
    };
    for (let i = 0; i < 20 && !crashed; i++) {
      await h.poll({}, hooks).catch((e: unknown) => {
        if (!(e instanceof StepCrash)) throw e;
      });
      h.emu.clock.advance(50);
    }
    expect(crashed).toBe(true);
    expect((await h.deps.tasks.get(id))?.status).toBe('SUCCEEDED');
    const [done] = await h.settle([id]);
    expect(done).toMatchObject({ status: 'PERSISTED', fineTunedModel: expect.stringMatching(/^qwen-turbo-ft-/), cost: { amount: 0, currency: 'CNY' } });
    expect(h.eventsOf(id).types).toEqual(['task.submitted', 'task.succeeded', 'task.persisted']);
    expect(jobCreates()).toBe(1);
  });

  it('fails a task whose training file was emptied while its upload waited out a throttle, creating no job', async () => {
    h.emu.faults.add({ match: { path: '/compatible-mode/v1/files' }, times: 3, fault: { kind: 'status', status: 429 } });
    const { result } = await start();
    expect(result.kind).toBe('deferred');
    await h.deps.objects.put(FILE, Buffer.alloc(0), { contentType: 'application/jsonl' });
    const [done] = await h.settle([result.task.id]);
    expect(done).toMatchObject({ status: 'FAILED', error: { code: 'empty_file' } });
    expect(jobCreates()).toBe(0);
    expect(uploads()).toBe(3);
  });
});
