// poll-task as the failure destination of the event functions: a record FC hands it that is not a timer
// tick is kept under dead-letters/ and logged; a tick still polls.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHandler } from '../../functions/poll-task/index.ts';
import type { Deps } from '../../shared/deps/deps.ts';
import { deadLetterKey } from '../../shared/domain/dead-letter.ts';
import { MAX_DEAD_LETTER_BYTES } from '../../shared/use-cases/dead-letters/keep-dead-letter.ts';
import { FakeDashScope } from './fake-dashscope.ts';
import { createTaskHarness, type TaskHarness } from './harness.ts';

describe('poll-task dead letters', () => {
  let h: TaskHarness;
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  let handle: ReturnType<typeof createEventHandler>;
  beforeEach(() => {
    h = createTaskHarness(new FakeDashScope());
    lines.length = 0;
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ msg, fields }),
      child() {
        return logger;
      },
    };
    handle = createEventHandler({ ...h.deps, logger } as unknown as Deps);
  });
  afterEach(() => h.close());

  const ctx = (requestId: string) => ({ requestId, function: { name: 'dashscope-fc-poll-task' } });

  it('keeps a failed invocation record byte for byte under dead-letters/<day>/<requestId>.json and logs what failed', async () => {
    const record = Buffer.from(JSON.stringify({ requestContext: { functionArn: 'acs:fc:cn-beijing:1:functions/dashscope-fc-persist-to-oss', condition: 'RetriesExhausted' }, responsePayload: { errorType: 'Error', errorMessage: 'OSS unavailable' }, requestPayload: '{"events":[]}' }));
    const r = await handle(record, ctx('req-1'));
    const key = deadLetterKey(h.clock.now(), 'req-1');
    expect(r).toEqual({ deadLetter: key });
    expect(key).toMatch(/^dead-letters\/\d{4}\/\d{2}\/\d{2}\/req-1\.json$/);
    const stored = await h.objects.get(key);
    expect(Buffer.concat(await stored.body.toArray())).toEqual(record);
    expect(lines).toEqual([
      { msg: 'a failed invocation was kept as a dead letter', fields: expect.objectContaining({ key, functionArn: 'acs:fc:cn-beijing:1:functions/dashscope-fc-persist-to-oss', errorMessage: 'OSS unavailable', condition: 'RetriesExhausted' }) },
    ]);
  });

  it('keeps what is not JSON too, cut at the size limit, with a request id that cannot leave its folder', async () => {
    const junk = Buffer.alloc(MAX_DEAD_LETTER_BYTES + 10, 0x41);
    const r = (await handle(junk, ctx('../../x'))) as { deadLetter: string };
    expect(r.deadLetter).toMatch(/^dead-letters\/\d{4}\/\d{2}\/\d{2}\/______x\.json$/);
    const stored = await h.objects.get(r.deadLetter);
    expect(stored.meta.bytes).toBe(MAX_DEAD_LETTER_BYTES);
    expect(stored.meta.metadata).toMatchObject({ truncated: 'true' });
  });

  it('logs the record itself when the bucket refuses it, and fails the invocation', async () => {
    const refusing = { ...h.deps, objects: { ...h.objects, put: async () => Promise.reject(new Error('bucket unavailable')) } };
    const logger = { debug() {}, info() {}, warn() {}, error: (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ msg, fields }), child: () => logger };
    const failing = createEventHandler({ ...refusing, logger } as unknown as Deps);
    const record = '{"requestPayload":"{\\"events\\":[]}","responsePayload":{"errorMessage":"OSS unavailable"}}';
    await expect(failing(Buffer.from(record), ctx('req-3'))).rejects.toThrow('bucket unavailable');
    expect(lines).toEqual([{ msg: 'a failed invocation could not be kept as a dead letter', fields: expect.objectContaining({ record, errorMessage: 'OSS unavailable' }) }]);
  });

  it('polls on a timer tick and keeps nothing', async () => {
    const r = await handle(Buffer.from(JSON.stringify({ triggerTime: '2026-12-03T10:00:00Z', triggerName: 'every-minute', payload: 'poll' })), ctx('req-2'));
    expect(r).toMatchObject({ trigger: 'every-minute' });
    expect(lines).toEqual([]);
  });
});
