// `npm run setup:cloud [-- --apply]`: provisions what the deployed functions need (tables, the event bus, the
// bucket's rules) from the same environment the functions read. Dry run by default: prints the plan.
import { loadOperatorConfig, oneLine, operatorCredentials } from './operator-env.ts';
import { runSetup } from './setup/run-setup.ts';
import { SETUP_REQUIREMENTS, setupSteps } from './setup/setup-steps.ts';

const USAGE = `usage: npm run setup:cloud [-- --apply]
  plans the cloud resources the functions need and prints what is missing (nothing is changed);
  --apply  creates or fixes them, in order, then plans again and fails if anything is still missing
environment: the functions' variables (OTS_ENDPOINT, OTS_INSTANCE, OTS_TABLE_PREFIX, OSS_BUCKET, OSS_REGION or
FC_REGION, EVENTBRIDGE_BUS, EVENTBRIDGE_ENDPOINT or FC_ACCOUNT_ID) and ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)`;

const args = process.argv.slice(2);
const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

if (args.includes('--help') || args.includes('-h')) {
  out(USAGE);
  process.exit(0);
}
const unknown = args.filter((a) => a !== '--apply');
if (unknown.length) {
  err(`setup:cloud: unknown argument ${unknown[0]}`);
  err(USAGE);
  process.exit(2);
}

let code: number;
try {
  const config = loadOperatorConfig(process.env, SETUP_REQUIREMENTS);
  const credentials = operatorCredentials(process.env);
  code = await runSetup(setupSteps(config, credentials), { apply: args.includes('--apply'), print: out, printError: err, secrets: [credentials.accessKeySecret, credentials.securityToken] });
} catch (e) {
  // a wrong or missing variable, or a step that could not even be built: one line, never a stack
  err(`setup:cloud: ${oneLine(e, [process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, process.env.ALIBABA_CLOUD_SECURITY_TOKEN])}`);
  code = 1;
}
process.exit(code);
