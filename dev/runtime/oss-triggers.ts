// OSS triggers, locally: objects created in the local object store that match a trigger's prefix/suffix and
// `events` become FC's OSS event JSON, delivered asynchronously (at-least-once, retried like FC).
import type { ObjectCreatedEvent } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import type { LoadedFunction } from './functions.ts';
import type { Invocations } from './invocations.ts';
import type { TriggerSpec } from './s-yaml.ts';

type OssTrigger = Extract<TriggerSpec, { triggerType: 'oss' }>;

export interface OssRoute {
  fn: LoadedFunction;
  trigger: OssTrigger;
}

/** Trigger config names carry the `oss:` prefix and may end in `*`; event payload names do not. */
export function eventNameMatches(patterns: readonly string[], eventName: string): boolean {
  return patterns.some((p) => {
    const bare = p.replace(/^oss:/, '');
    return bare.endsWith('*') ? eventName.startsWith(bare.slice(0, -1)) : bare === eventName;
  });
}

export function keyMatches(trigger: OssTrigger, key: string): boolean {
  const { prefix = '', suffix = '' } = trigger.triggerConfig.filter.key ?? {};
  return key.startsWith(prefix) && key.endsWith(suffix);
}

/** FC's OSS event for one created object (the shape of the platform's event template). */
export function ossEvent(created: ObjectCreatedEvent, bucket: string, region: string): unknown {
  return {
    events: [
      {
        eventName: created.eventName,
        eventSource: 'acs:oss',
        eventTime: created.time.toISOString(),
        eventVersion: '1.0',
        region,
        oss: {
          bucket: { arn: `acs:oss:${region}:local:${bucket}`, name: bucket, ownerIdentity: 'local' },
          object: { key: created.meta.key, size: created.meta.bytes, deltaSize: created.meta.bytes, eTag: created.meta.etag ?? '' },
          ossSchemaVersion: '1.0',
          ruleId: 'local',
        },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { requestId: 'local' },
        userIdentity: { principalId: 'local' },
      },
    ],
  };
}

export function ossRoutes(functions: readonly LoadedFunction[]): OssRoute[] {
  return functions.flatMap((fn) => fn.spec.triggers.flatMap((t) => (t.triggerType === 'oss' ? [{ fn, trigger: t }] : [])));
}

/** The listener the runtime registers with the object store. */
export function ossDispatcher(routes: readonly OssRoute[], invocations: Invocations, bucket: string, region: string): (created: ObjectCreatedEvent) => void {
  return (created) => {
    for (const { fn, trigger } of routes) {
      if (!eventNameMatches(trigger.triggerConfig.events, created.eventName) || !keyMatches(trigger, created.meta.key)) continue;
      invocations.deliver(fn, trigger.triggerName, 'oss', ossEvent(created, bucket, region));
    }
  };
}
