// EventBridge triggers, locally: bus events matching a trigger's eventRuleFilterPattern are delivered
// asynchronously as EventBridge would (CloudEvents plus aliyun* fields, or RawData), with FC's async retries.
import type { LocalEventBus } from '../../shared/adapters/local-bus/local-event-bus.ts';
import type { DomainEvent } from '../../shared/ports/event-bus.ts';
import { compileEventPattern } from './event-pattern.ts';
import type { LoadedFunction } from './functions.ts';
import type { Invocations } from './invocations.ts';

export interface EventBridgeHandle {
  fn: string;
  trigger: string;
  pattern: string;
}

function isRawData(config: Record<string, unknown>): boolean {
  const sink = config.eventSinkConfig as { deliveryOption?: { eventSchema?: unknown } } | undefined;
  return sink?.deliveryOption?.eventSchema === 'RawData';
}

export function envelope(event: DomainEvent, busName: string): Record<string, unknown> {
  return {
    ...event,
    aliyunaccountid: 'local',
    aliyuneventbusname: busName,
    aliyunregionid: 'local',
    aliyunpublishtime: new Date().toISOString(),
    aliyunpublishaddr: '127.0.0.1',
  };
}

export function wireEventBridge(functions: readonly LoadedFunction[], bus: LocalEventBus, invocations: Invocations, busName: string): { handles: EventBridgeHandle[]; stop(): void } {
  const offs: (() => void)[] = [];
  const handles: EventBridgeHandle[] = [];
  for (const fn of functions) {
    for (const t of fn.spec.triggers) {
      if (t.triggerType !== 'eventbridge' || !t.triggerConfig.triggerEnable) continue;
      const matches = compileEventPattern(t.triggerConfig.eventRuleFilterPattern);
      const raw = isRawData(t.triggerConfig);
      offs.push(bus.subscribe(matches, (event) => invocations.deliver(fn, t.triggerName, 'eventbridge', raw ? event.data : envelope(event, busName))));
      handles.push({ fn: fn.name, trigger: t.triggerName, pattern: t.triggerConfig.eventRuleFilterPattern });
    }
  }
  return { handles, stop: () => offs.forEach((off) => off()) };
}
