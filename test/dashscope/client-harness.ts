// A DashScopeClient pointed at a tiny scripted server, for the client's tests: retries never sleep, every
// client event is recorded, and everything opened is closed by `closeAll` (call it from afterEach).
import { DashScopeClient } from '../../shared/dashscope/client.ts';
import type { DashScopeClientEvent } from '../../shared/dashscope/call-options.ts';
import { startTinyServer } from './tiny-server.ts';
import type { Handler, TinyServer } from './tiny-server.ts';

export type ClientOptions = ConstructorParameters<typeof DashScopeClient>[0];

export function clientHarness(defaults: Partial<ClientOptions> = {}) {
  const servers: TinyServer[] = [];
  const clients: DashScopeClient[] = [];
  return {
    servers,
    clients,
    async setup(handler: Handler, over: Partial<ClientOptions> = {}) {
      const server = await startTinyServer(handler);
      servers.push(server);
      const events: DashScopeClientEvent[] = [];
      const client = new DashScopeClient({
        origin: server.url,
        apiKey: 'sk-test-key',
        timeoutMs: 5_000,
        maxRetries: 2,
        retry: { sleep: async () => {} },
        onEvent: (e) => events.push(e),
        ...defaults,
        ...over,
      });
      clients.push(client);
      return { server, client, events, retries: () => events.filter((e) => e.kind === 'retry').length };
    },
    async closeAll() {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await Promise.all(servers.splice(0).map((s) => s.close()));
    },
  };
}
