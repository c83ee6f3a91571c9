// The provisioning step for the EventBridge bus the functions publish to: plan() says whether it is missing,
// apply() creates it; running apply() again, or after another run created the bus, changes nothing.
import type { EventBridgeClient } from './eventbridge-client.ts';

export interface EventBusStep {
  name: string;
  /** What apply() would do, in words; empty when the bus exists. */
  plan(): Promise<string[]>;
  /** Creates the bus; running it again changes nothing. */
  apply(): Promise<void>;
}

export const EVENT_BUS_DESCRIPTION = 'dashscope-fc task events (task.submitted … task.persisted)';

export function eventBusStep(client: Pick<EventBridgeClient, 'getEventBus' | 'createEventBus'>, busName: string): EventBusStep {
  return {
    name: `EventBridge bus ${busName}`,
    async plan() {
      return (await client.getEventBus(busName)) ? [] : [`create EventBridge bus ${busName}`];
    },
    async apply() {
      // Read first: the account's `default` bus always exists and cannot be created.
      if (await client.getEventBus(busName)) return;
      // Another run may have created it since the read: "already exists" is the outcome wanted.
      await client.createEventBus(busName, EVENT_BUS_DESCRIPTION);
    },
  };
}
