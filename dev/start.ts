// `npm start`: runs the local runtime (every function of s.yaml with its triggers) until SIGINT/SIGTERM,
// then shuts down cleanly and exits 0.
import { startRuntime } from './runtime/runtime.ts';

const print = (line: string) => void process.stdout.write(line + '\n');

try {
  const runtime = await startRuntime({ env: process.env, log: print });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    print(`${signal} received, shutting down`);
    runtime.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`shutdown failed: ${(e as Error)?.message ?? String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  process.stderr.write(`local runtime failed to start: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
}
