// The rehearsal's OSS trigger delivery: the stand-in's notifications filtered by bucket, event and key as in
// s.yaml, and retried as FC retries an asynchronous invocation.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log/logger.ts';
import type { LoadedFunction } from '../runtime/functions.ts';
import { Invocations } from '../runtime/invocations.ts';
import { ossRoutes } from '../runtime/oss-triggers.ts';
import type { FunctionSpec } from '../runtime/s-yaml.ts';
import type { OssNotification } from '../standins/oss/notification.ts';
import { ossNotificationDispatcher } from './oss-events.ts';

const notification = (bucket: string, key: string, eventName: OssNotification['events'][number]['eventName'] = 'ObjectCreated:PutObject'): OssNotification => ({
  events: [
    {
      eventName,
      eventSource: 'acs:oss',
      eventTime: new Date(0).toISOString(),
      eventVersion: '1.0',
      region: 'cn-beijing',
      oss: { bucket: { arn: `acs:oss:cn-beijing:1:${bucket}`, name: bucket, ownerIdentity: '1' }, object: { key, size: 1, deltaSize: 1, eTag: 'e' }, ossSchemaVersion: '1.0', ruleId: 'r' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { requestId: 'x' },
      userIdentity: { principalId: '1' },
    },
  ],
});

function manifestFunction(fails: number): { fn: LoadedFunction; seen: string[] } {
  const seen: string[] = [];
  const spec: FunctionSpec = {
    resource: 'persist',
    functionName: 'persist',
    runtime: 'nodejs20',
    code: './dist/persist',
    layers: [],
    timeoutS: 5,
    maxAsyncRetryAttempts: 3,
    triggers: [{ triggerName: 'manifest', triggerType: 'oss', triggerConfig: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: 'results/', suffix: '.json' } } } }],
  };
  const fn: LoadedFunction = {
    spec,
    name: 'persist',
    module: {},
    event: async (event) => {
      seen.push(event.toString('utf8'));
      if (seen.length <= fails) throw new Error('not yet');
    },
  };
  return { fn, seen };
}

describe('OSS stand-in notifications as trigger events', () => {
  it('delivers only objects of the bucket whose key and event match the trigger, as FC event JSON', async () => {
    const { fn, seen } = manifestFunction(0);
    const invocations = new Invocations(silentLogger, { baseDelayMs: 1 });
    const dispatch = ossNotificationDispatcher(ossRoutes([fn]), invocations, 'media');
    dispatch(notification('other', 'results/a.json'));
    dispatch(notification('media', 'results/a.txt'));
    dispatch(notification('media', 'inbox/a.json'));
    dispatch(notification('media', 'results/a.json', 'ObjectCreated:CopyObject'));
    await invocations.drain(1_000);
    expect(seen.map((s) => (JSON.parse(s) as OssNotification).events[0]!.oss.object.key)).toEqual(['results/a.json']);
    expect((JSON.parse(seen[0]!) as OssNotification).events[0]!.eventName).toBe('ObjectCreated:CopyObject');
  });

  it('retries a failed delivery with FC retry counts until it succeeds', async () => {
    const { fn } = manifestFunction(2);
    const invocations = new Invocations(silentLogger, { baseDelayMs: 1 });
    ossNotificationDispatcher(ossRoutes([fn]), invocations, 'media')(notification('media', 'results/b.json'));
    const done = await invocations.waitFor((r) => r.ok === true, 2_000);
    expect(done.retryCount).toBe(2);
  });
});
