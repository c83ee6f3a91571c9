// `npm run setup:cloud -- --policies`: the RAM policies of deploy/ with their `${…}` placeholders filled in from
// the same variables, ready to paste into the RAM console. A placeholder without a value is an error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../shared/config/config.ts';
import { OperatorEnvError, REQUIRE, type Requirement } from '../operator-env.ts';

export const POLICY_FILES = [
  { file: 'function-role-trust.json', what: "the functions' role: trust policy (who may assume it)" },
  { file: 'function-role-policy.json', what: "the functions' role: permission policy" },
  { file: 'operator-policy.json', what: "the operator's RAM user (deploy, setup:cloud, ops): permission policy" },
] as const;

const account: Requirement = { name: 'FC_ACCOUNT_ID', hint: 'your account id', present: (c) => !!c.FC_ACCOUNT_ID };
const region: Requirement = { name: 'FC_REGION', hint: 'the region, e.g. cn-beijing', present: (c) => !!c.FC_REGION };
export const POLICY_REQUIREMENTS: readonly Requirement[] = [account, region, REQUIRE.otsInstance, REQUIRE.ossBucket];

/** The placeholders' values; `role` as s.yaml reads it (FC_ROLE, default dashscope-fc-role). */
export function policyValues(config: Config, env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    account: config.FC_ACCOUNT_ID!,
    region: config.FC_REGION!,
    instance: config.OTS_INSTANCE!,
    tablePrefix: config.OTS_TABLE_PREFIX,
    bucket: config.OSS_BUCKET!,
    bus: config.EVENTBRIDGE_BUS,
    role: env.FC_ROLE || 'dashscope-fc-role',
  };
}

/** Each policy file of `dir` with every `${name}` replaced; throws naming a placeholder that has no value. */
export function fillPolicies(dir: string, values: Readonly<Record<string, string>>): { file: string; what: string; text: string }[] {
  return POLICY_FILES.map(({ file, what }) => {
    const text = readFileSync(join(dir, file), 'utf8').replace(/\$\{(\w+)\}/g, (m, name: string) => {
      const v = values[name];
      if (v === undefined) throw new OperatorEnvError(`${file}: no value for the placeholder ${m}`);
      return v;
    });
    return { file, what, text };
  });
}
