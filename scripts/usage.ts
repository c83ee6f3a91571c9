// `npm run usage -- [--from] [--to] [--group-by tenant|model|day] [--tenant NAME] [--json]`: the cost ledger summed
// from the local store under DATA_DIR, or from Table Store with RUNTIME_MODE=cloud (the operator's access key).
import { oneLine } from './operator-env.ts';
import { runUsage } from './usage/usage-cli.ts';
import { usageStoreFromEnv } from './usage/usage-wiring.ts';

const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);
const secrets = [process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, process.env.ALIBABA_CLOUD_SECURITY_TOKEN];

let code: number;
const store = usageStoreFromEnv(process.env);
try {
  code = await runUsage(process.argv.slice(2), { guards: store.guards, cnyPerUsd: store.cnyPerUsd, now: () => new Date(), out, err, secrets });
} catch (e) {
  err(`usage: ${oneLine(e, secrets)}`);
  code = 1;
} finally {
  await store.close();
}
process.exit(code);
