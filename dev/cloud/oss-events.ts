// OSS triggers of the rehearsal: the OSS stand-in's ObjectCreated notifications (FC's event shape) go to
// every oss trigger of s.yaml whose events, prefix and suffix match, asynchronously and with FC's retries.
import type { OssNotification } from '../standins/oss/notification.ts';
import type { Invocations } from '../runtime/invocations.ts';
import { eventNameMatches, keyMatches, type OssRoute } from '../runtime/oss-triggers.ts';

export function ossNotificationDispatcher(routes: readonly OssRoute[], invocations: Invocations, bucket: string): (n: OssNotification) => void {
  return (notification) => {
    for (const record of notification.events) {
      // a trigger watches one bucket (its sourceArn): the rehearsal's
      if (record.oss.bucket.name !== bucket) continue;
      for (const { fn, trigger } of routes) {
        if (!eventNameMatches(trigger.triggerConfig.events, record.eventName) || !keyMatches(trigger, record.oss.object.key)) continue;
        invocations.deliver(fn, trigger.triggerName, 'oss', { events: [record] });
      }
    }
  };
}
