// FC entry of chat-stream (custom runtime, Node 22 layer): our own HTTP server on FC_CUSTOM_LISTEN_PORT, so
// that answers can stream. Bundled to dist/chat-stream/server.mjs.
import { getDeps } from '../../shared/deps/get-deps.ts';
import { serveWebFunction } from '../../shared/http/web-function.ts';
import * as mod from './index.ts';

const deps = getDeps();
await serveWebFunction(mod, deps, deps.config.listenPort);
