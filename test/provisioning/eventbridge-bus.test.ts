// The bus provisioning step over the EventBridge stand-in: plans a missing bus, creates it once, and treats a
// bus that exists (already, or created by a concurrent run) as done.
import { afterEach, describe, expect, it } from 'vitest';
import { startEventBridgeStandin, STANDIN_ACCESS_KEY, type EventBridgeStandin } from '../../dev/standins/eventbridge/server.ts';
import { EventBridgeCallError, EventBridgeClient } from '../../shared/adapters/eventbridge/eventbridge-client.ts';
import { EVENT_BUS_DESCRIPTION, eventBusStep } from '../../shared/adapters/eventbridge/event-bus-setup.ts';

let standin: EventBridgeStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function setup(buses: string[] = ['default']) {
  standin = await startEventBridgeStandin({ buses });
  const client = new EventBridgeClient({ endpoint: standin.endpoint, protocol: 'http', credentials: () => STANDIN_ACCESS_KEY });
  return { standin, client };
}
const creates = (s: EventBridgeStandin) => s.requests().filter((r) => r.action === 'createEventBus');

describe('eventBusStep', () => {
  it('plans the missing bus, creates it with its description, then plans nothing and creates nothing more', async () => {
    const { standin, client } = await setup();
    const step = eventBusStep(client, 'dashscope-fc');
    expect(step.name).toBe('EventBridge bus dashscope-fc');
    expect(await step.plan()).toEqual(['create EventBridge bus dashscope-fc']);
    await step.apply();
    expect(standin.buses()).toEqual(['dashscope-fc', 'default']);
    expect(await client.getEventBus('dashscope-fc')).toMatchObject({ description: EVENT_BUS_DESCRIPTION });
    expect(await step.plan()).toEqual([]);
    await step.apply();
    expect(creates(standin)).toHaveLength(1);
  });

  it('takes "already exists" from a run that created the bus after this one read it as success', async () => {
    const { standin, client } = await setup(['default', 'dashscope-fc']);
    // the read saw no bus; by the time of the create, another run had made it
    const step = eventBusStep({ getEventBus: async () => undefined, createEventBus: (n, d) => client.createEventBus(n, d) }, 'dashscope-fc');
    await expect(step.apply()).resolves.toBeUndefined();
    expect(creates(standin)).toEqual([expect.objectContaining({ status: 409, code: 'EventBusAlreadyExist' })]);
  });

  it('never tries to create the default bus, which always exists', async () => {
    const { standin, client } = await setup();
    const step = eventBusStep(client, 'default');
    expect(await step.plan()).toEqual([]);
    await step.apply();
    expect(creates(standin)).toEqual([]);
  });

  it('fails with the call error when the service refuses the credentials', async () => {
    const { standin } = await setup();
    const client = new EventBridgeClient({ endpoint: standin.endpoint, protocol: 'http', credentials: () => ({ ...STANDIN_ACCESS_KEY, accessKeySecret: 'wrong-secret-not-real' }) });
    const err = await eventBusStep(client, 'dashscope-fc').plan().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventBridgeCallError);
    expect(err).toMatchObject({ kind: 'auth', code: 'SignatureDoesNotMatch' });
    expect(standin.buses()).toEqual(['default']);
  });

  it('the stand-in refuses a malformed bus name', async () => {
    const { client } = await setup();
    await expect(client.createEventBus('bad name!', 'x')).rejects.toMatchObject({ kind: 'refused', code: 'InvalidArgument' });
  });
});
