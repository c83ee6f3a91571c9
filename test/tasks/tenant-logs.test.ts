// Log lines about a task say whose it is: poll-task's and persist-to-oss's lines carry the tenant's name (never
// a key), from the submit through the polls to the persisted outputs.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log/logger.ts';
import { persistResult } from '../../shared/use-cases/persist/persist-result.ts';
import { pollDueTasks } from '../../shared/use-cases/tasks/poll-due-tasks.ts';
import { submitTask } from '../../shared/use-cases/tasks/submit-task.ts';
import { parseTaskRequest } from '../../shared/use-cases/tasks/task-request.ts';
import { createHarness as createPersistHarness, type Harness } from '../persist/harness.ts';
import { closeMediaServers, media, PNG, url } from '../persist/persist-fixtures.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('debug', {}, (l) => void lines.push(JSON.parse(l) as Record<string, unknown>)) };
}

let h: TaskHarness | undefined;
let p: Harness | undefined;
afterEach(async () => {
  h?.close();
  await p?.close();
  await closeMediaServers();
  h = p = undefined;
});

describe('log lines about a task', () => {
  it("carry the task's tenant through submit and every poll", async () => {
    const ds = new FakeDashScope();
    // throttled once: the submit leaves it QUEUED, then poll-task sends it and follows it to SUCCEEDED
    ds.createFaults = ['throttle'];
    h = createTaskHarness(ds);
    const { lines, logger } = recordingLogger();
    const deps = { ...h.deps, logger };
    const t = (await submitTask(deps, { request: parseTaskRequest({ type: 'text-to-image', input: { prompt: 'a fox' } }), tenant: 'acme', requestId: 'r1' }, h.timings)).task;
    h.clock.advance(60_000);
    await pollDueTasks(deps, { requestId: 'p1' }, h.pollOptions());
    expect((await h.tasks.get(t.id))?.status).toBe('SUCCEEDED');
    const about = lines.filter((l) => l.taskId === t.id);
    expect(about.length).toBeGreaterThan(1);
    expect(about.filter((l) => l.tenant !== 'acme').map((l) => l.msg)).toEqual([]);
  });

  it("carry the task's tenant while persist-to-oss copies its outputs", async () => {
    const s = await media({ '/a': PNG });
    p = createPersistHarness({ allowlist: [s.origin] });
    const { lines, logger } = recordingLogger();
    const { taskId, key } = await p.seed([url(0, `${s.origin}/a`)]);
    expect((await persistResult({ ...p.deps, logger }, key)).outcome).toBe('persisted');
    const about = lines.filter((l) => l.taskId === taskId);
    expect(about.map((l) => l.msg)).toEqual(expect.arrayContaining(['output copied', 'task outputs persisted']));
    expect(about.every((l) => l.tenant === 'acme')).toBe(true);
  });
});
