// `npm run start:cloud`: builds the bundles and runs them as Function Compute would, against the stand-ins
// and the DashScope emulator, until SIGINT/SIGTERM; then stops every process it started and exits 0.
import { runUntilSignal } from '../run-until-signal.ts';
import { startRehearsal } from './cloud-rehearsal.ts';

await runUntilSignal('cloud rehearsal', (log) => startRehearsal({ env: process.env, log }));
