// `npm start`: runs the local runtime (every function of s.yaml with its triggers) until SIGINT/SIGTERM,
// then shuts down cleanly and exits 0.
import { runUntilSignal } from './run-until-signal.ts';
import { startRuntime } from './runtime/runtime.ts';

await runUntilSignal('local runtime', (log) => startRuntime({ env: process.env, log }));
