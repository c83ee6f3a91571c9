// `npm run keys -- <command>`: make, list and revoke client keys (each acts for its tenant) in the store the
// functions read: DATA_DIR's database locally, Table Store in cloud mode; `npm run keys -- help` lists the commands.
import { oneLine } from './operator-env.ts';
import { runKeys } from './keys/keys-commands.ts';
import { keysDepsFromEnv } from './keys/keys-wiring.ts';

const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

let code: number;
try {
  const deps = keysDepsFromEnv({ env: process.env, out, err });
  try {
    code = await runKeys(process.argv.slice(2), deps);
  } finally {
    deps.close();
  }
} catch (e) {
  // a wrong variable: one line, never a stack
  err(`keys: ${oneLine(e, [process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, process.env.ALIBABA_CLOUD_SECURITY_TOKEN, process.env.CLIENT_KEY_SECRET])}`);
  code = 1;
}
process.exit(code);
