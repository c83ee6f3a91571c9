// `npm run start:cloud`: builds the bundles and runs them as Function Compute would, against the stand-ins
// and the DashScope emulator, until SIGINT/SIGTERM; then stops every process it started and exits 0.
import { startRehearsal } from './cloud-rehearsal.ts';

const print = (line: string) => void process.stdout.write(line + '\n');

try {
  const rehearsal = await startRehearsal({ env: process.env, log: print });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    print(`${signal} received, shutting down`);
    rehearsal.close().then(
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
  process.stderr.write(`cloud rehearsal failed to start: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
}
