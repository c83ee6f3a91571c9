// undici's Agent with its request API, loaded without the rest of the package (fetch, WebSocket, caches, mocks):
// about half of what `import 'undici'` costs a cold start. The same classes as the package's own exports.
import AgentImpl from 'undici/lib/dispatcher/agent.js';
import DispatcherImpl from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
import type { Agent as AgentType } from 'undici';

// what undici's index.js does: request(), stream(), pipeline()… are methods of every dispatcher
Object.assign(DispatcherImpl.prototype, api);

export const Agent = AgentImpl as typeof AgentType;
export type Agent = AgentType;
export type { Dispatcher } from 'undici';
