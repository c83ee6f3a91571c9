// FC entry of submit-task (custom runtime, Node 22 layer): our own HTTP server on FC_CUSTOM_LISTEN_PORT,
// serving the task routes and FC's event calls (the inbox trigger). Bundled to dist/submit-task/server.mjs.
import { getDeps } from '../../shared/deps/get-deps.ts';
import { serveWebFunction } from '../../shared/http/web-function.ts';
import * as mod from './index.ts';

const deps = getDeps();
await serveWebFunction(mod, deps, deps.config.listenPort);
