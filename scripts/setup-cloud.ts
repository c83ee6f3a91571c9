// `npm run setup:cloud [-- --apply | --policies]`: provisions what the deployed functions need (tables, the event
// bus and its rules to the functions, the bucket's rules) from the functions' environment. Dry run by default.
import { join } from 'node:path';
import { loadOperatorConfig, oneLine, operatorCredentials } from './operator-env.ts';
import { fillPolicies, POLICY_REQUIREMENTS, policyValues } from './setup/policies.ts';
import { runSetup } from './setup/run-setup.ts';
import { SETUP_REQUIREMENTS, setupSteps } from './setup/setup-steps.ts';

const USAGE = `usage: npm run setup:cloud [-- --apply | --policies]
  plans the cloud resources the functions need and prints what is missing (nothing is changed);
  --apply     creates or fixes them, in order, then plans again and fails if anything is still missing
  --policies  prints the RAM policies of deploy/ filled in from the same variables (changes nothing)
environment: the functions' variables (OTS_ENDPOINT, OTS_INSTANCE, OTS_TABLE_PREFIX, OSS_BUCKET, OSS_REGION,
EVENTBRIDGE_BUS, EVENTBRIDGE_ENDPOINT), FC_ACCOUNT_ID and FC_REGION (the functions the bus's rules deliver to,
from s.yaml's eventbridge triggers) and ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET (and
ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)`;

const args = process.argv.slice(2);
const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

if (args.includes('--help') || args.includes('-h')) {
  out(USAGE);
  process.exit(0);
}
const unknown = args.filter((a) => a !== '--apply' && a !== '--policies');
if (unknown.length || (args.includes('--apply') && args.includes('--policies'))) {
  err(unknown.length ? `setup:cloud: unknown argument ${unknown[0]}` : 'setup:cloud: --apply and --policies do not go together');
  err(USAGE);
  process.exit(2);
}

let code: number;
try {
  if (args.includes('--policies')) {
    const values = policyValues(loadOperatorConfig(process.env, POLICY_REQUIREMENTS), process.env);
    for (const p of fillPolicies(join(import.meta.dirname, '..', 'deploy'), values)) out(`# deploy/${p.file}: ${p.what}\n${p.text.trimEnd()}\n`);
    code = 0;
  } else {
    const config = loadOperatorConfig(process.env, SETUP_REQUIREMENTS);
    const credentials = operatorCredentials(process.env);
    code = await runSetup(setupSteps(config, credentials), { apply: args.includes('--apply'), print: out, printError: err, secrets: [credentials.accessKeySecret, credentials.securityToken] });
  }
} catch (e) {
  // a wrong or missing variable, or a step that could not even be built: one line, never a stack
  err(`setup:cloud: ${oneLine(e, [process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, process.env.ALIBABA_CLOUD_SECURITY_TOKEN])}`);
  code = 1;
}
process.exit(code);
