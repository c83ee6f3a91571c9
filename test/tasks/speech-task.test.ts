// Speech tasks against the emulator: each part synthesised exactly once across submit, poll-task and crashes
// between the durable steps; a part whose outcome is unknown is never sent again; throttling is retried.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWav } from '../../shared/audio/wav.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { StepCrash, type StepName } from '../../shared/use-cases/tasks/task-deps.ts';
import { parseTaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { speechTexts } from '../../shared/use-cases/tasks/synthesize-speech.ts';
import { createEmulatorHarness, type EmulatorHarness } from './emulator-harness.ts';

/** Five sentences of 110 Han each: 220 billed characters a sentence, two to a part of at most 600. */
const TEXT = Array.from({ length: 5 }, (_, i) => `${'天'.repeat(109)}${i}。`).join('');
const speech = parseTaskRequest({ type: 'text-to-speech', input: { text: TEXT, voice: 'serena' } });

let h: EmulatorHarness;
let seq = 0;
beforeEach(async () => {
  h = await createEmulatorHarness();
});
afterEach(async () => {
  await h.close();
});

const syntheses = () => h.emu.requests.filter((r) => r.path.endsWith('/multimodal-generation/generation'));

/** Crashes (once) at the `nth` time `name` is reached. */
function crashAt(name: StepName, nth: number) {
  let seen = 0;
  return {
    step(step: StepName) {
      if (step === name && ++seen === nth) throw new Error(`crash at ${name} #${nth}`);
    },
  };
}

describe('speech tasks', () => {
  it('splits the text into parts the model takes, in order', () => {
    const parts = speechTexts({ model: speech.model, input: speech.input });
    expect(parts).toHaveLength(3);
    expect(parts.join('')).toBe(TEXT);
  });

  it('leaves the parts it has no time for to poll-task, which synthesises each of them once', async () => {
    const timings = { ...h.timings, speechBudgetMs: 0 };
    const first = await submitTask(h.taskDeps(), { request: speech, tenant: 'acme', requestId: `req-${++seq}` }, timings);
    expect(first.task.status).toBe('RUNNING');
    expect(first.task.speech?.done).toHaveLength(1);
    const [task] = await h.settle([first.task.id], 8, { timings });
    expect(task!.status).toBe('PERSISTED');
    expect(syntheses()).toHaveLength(3);
    expect(task!.speech!.done.map((p) => p.index)).toEqual([0, 1, 2]);
    const stored = await h.deps.objects.get(task!.outputs[0]!.key!);
    const chunks: Buffer[] = [];
    for await (const c of stored.body) chunks.push(c as Buffer);
    let samples = 0;
    for (const p of task!.speech!.done) samples += ((await h.emu.media.expected(p.url)).bytes - 44) / 2;
    expect(parseWav(Buffer.concat(chunks)).data.length).toBe(samples * 2);
    expect(h.eventsOf(task!.id).types).toEqual(['task.succeeded', 'task.persisted']);
  });

  it.each([
    { at: 'submit:attempt-recorded' as const, sent: 1, what: 'before the second part was sent' },
    { at: 'submit:upstream-created' as const, sent: 2, what: 'after the second part was synthesised, before its answer was recorded' },
  ])('a crash $what fails the task without synthesising that part again', async ({ at, sent }) => {
    const crashed = await submitTask(h.taskDeps(crashAt(at, 2)), { request: speech, tenant: 'acme', requestId: `req-${++seq}` }, h.timings).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(StepCrash);
    const id = (await h.deps.tasks.listByStatus(undefined, 10)).tasks[0]!.id;
    const [task] = await h.settle([id]);
    expect(task!.status).toBe('FAILED');
    expect(task!.error?.code).toBe('SynthesisAmbiguous');
    expect(task!.error?.message).toMatch(/part 2 of 3/);
    expect(syntheses()).toHaveLength(sent);
    // the part recorded before the crash was billed upstream: the task says so
    expect(task!.usage).toMatchObject({ characters: 440, parts: 1 });
    expect(task!.cost?.amount).toBeGreaterThan(0);
  });

  it('a throttled part is sent again later, and the task still ends PERSISTED with each part made once', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/services/aigc/multimodal-generation/' }, times: 3, fault: { kind: 'status', status: 429 } });
    const first = await submitTask(h.taskDeps(), { request: speech, tenant: 'acme', requestId: `req-${++seq}` }, h.timings);
    expect(first.kind).toBe('deferred');
    const [task] = await h.settle([first.task.id], 12);
    expect(task!.status).toBe('PERSISTED');
    expect(syntheses().filter((r) => r.status === 200)).toHaveLength(3);
  });

  it('DashScope refusing a part fails the task with its code', async () => {
    h.emu.faults.add({ match: { path: '/api/v1/services/aigc/multimodal-generation/' }, times: 1, fault: { kind: 'status', status: 400 } });
    const r = await submitTask(h.taskDeps(), { request: speech, tenant: 'acme', requestId: `req-${++seq}` }, h.timings);
    expect(r.kind).toBe('rejected');
    expect(r.task.status).toBe('FAILED');
    expect(syntheses()).toHaveLength(1);
  });
});
