// FC entry of poll-task (custom runtime, Node 22 layer): FC delivers each event as POST /invoke to our own HTTP
// server on FC_CUSTOM_LISTEN_PORT. Bundled to dist/poll-task/server.mjs, the whole deployed code.
import { getDeps } from '../../shared/deps/get-deps.ts';
import { serveWebFunction } from '../../shared/http/web-function.ts';
import * as mod from './index.ts';

const deps = getDeps();
await serveWebFunction(mod, deps, deps.config.listenPort);
