// `npm run ops -- <command>`: operate a deployed stack from the operator's machine (trigger URLs, poll now,
// re-drive a manifest, show a task, recent events); `npm run ops -- help` lists the commands.
import { oneLine } from './operator-env.ts';
import { runOps } from './ops/ops-commands.ts';
import { opsDepsFromEnv } from './ops/ops-wiring.ts';

const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

let code: number;
try {
  code = await runOps(process.argv.slice(2), opsDepsFromEnv({ env: process.env, out, err }));
} catch (e) {
  // s.yaml unreadable: one line, never a stack
  err(`ops: ${oneLine(e, [process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, process.env.ALIBABA_CLOUD_SECURITY_TOKEN])}`);
  code = 1;
}
process.exit(code);
