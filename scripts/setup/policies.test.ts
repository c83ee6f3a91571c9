// The RAM policies of deploy/ filled in: every placeholder replaced from the variables, still valid JSON, and a
// placeholder without a value refused by name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAGING_PREFIX } from '../../shared/adapters/oss/oss-object-store.ts';
import { DEAD_LETTERS_PREFIX } from '../../shared/domain/dead-letter.ts';
import { MANIFEST_PREFIX } from '../../shared/domain/manifest.ts';
import { PIPELINES_PREFIX } from '../../shared/domain/pipeline.ts';
import { MEDIA_PREFIX } from '../../shared/use-cases/persist/media-key.ts';
import { INBOX_RESULTS_PREFIX } from '../../shared/use-cases/tasks/inbox-batch.ts';
import { INBOX_ERRORS_PREFIX, INBOX_PREFIX } from '../../shared/use-cases/tasks/submit-from-inbox.ts';
import { loadOperatorConfig } from '../operator-env.ts';
import { fillPolicies, POLICY_FILES, POLICY_REQUIREMENTS, policyValues } from './policies.ts';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');
const ENV = { FC_ACCOUNT_ID: '1234567890123456', FC_REGION: 'cn-hangzhou', OTS_INSTANCE: 'prod-ots', OSS_BUCKET: 'prod-media', OTS_TABLE_PREFIX: 'p_', FC_ROLE: 'prod-fc-role' };

describe('setup:cloud --policies', () => {
  it('fills every placeholder of the three policies with the variables, leaving valid JSON', () => {
    const filled = fillPolicies(DEPLOY, policyValues(loadOperatorConfig(ENV, POLICY_REQUIREMENTS), ENV));
    expect(filled.map((f) => f.file)).toEqual(POLICY_FILES.map((f) => f.file));
    for (const f of filled) {
      expect(f.text, f.file).not.toMatch(/\$\{/);
      expect(() => JSON.parse(f.text), f.file).not.toThrow();
    }
    const fnPolicy = filled.find((f) => f.file === 'function-role-policy.json')!.text;
    expect(fnPolicy).toContain('acs:ots:cn-hangzhou:1234567890123456:instance/prod-ots/table/p_*');
    expect(fnPolicy).toContain('acs:oss:*:1234567890123456:prod-media/media/*');
    expect(fnPolicy).toContain('acs:eventbridge:cn-hangzhou:1234567890123456:eventbus/dashscope-fc');
    expect(filled.find((f) => f.file === 'operator-policy.json')!.text).toContain('acs:ram::1234567890123456:role/prod-fc-role');
  });

  it('lets the functions read and write every prefix of the bucket they use, and no other', () => {
    const text = fillPolicies(DEPLOY, policyValues(loadOperatorConfig(ENV, POLICY_REQUIREMENTS), ENV)).find((f) => f.file === 'function-role-policy.json')!.text;
    const statements = (JSON.parse(text) as { Statement: { Action: string[]; Resource: string[] }[] }).Statement;
    const oss = statements.find((st) => st.Action.includes('oss:PutObject'))!;
    const prefixes = [INBOX_PREFIX, INBOX_ERRORS_PREFIX, INBOX_RESULTS_PREFIX, MANIFEST_PREFIX, MEDIA_PREFIX, DEAD_LETTERS_PREFIX, STAGING_PREFIX, PIPELINES_PREFIX];
    expect(oss.Resource.sort()).toEqual(prefixes.map((p) => `acs:oss:*:1234567890123456:prod-media/${p}*`).sort());
  });

  it("lets the operator keep the bus's rules and targets, on that bus only, and EventBridge's role for invoking FC", () => {
    const text = fillPolicies(DEPLOY, policyValues(loadOperatorConfig(ENV, POLICY_REQUIREMENTS), ENV)).find((f) => f.file === 'operator-policy.json')!.text;
    const statements = (JSON.parse(text) as { Statement: { Action: string[]; Resource: string[]; Condition?: unknown }[] }).Statement;
    const rules = statements.find((s) => s.Action.includes('eventbridge:CreateRule'))!;
    expect(rules.Action).toEqual(expect.arrayContaining(['eventbridge:GetRule', 'eventbridge:UpdateRule', 'eventbridge:CreateTargets', 'eventbridge:DeleteTargets']));
    expect(rules.Resource).toEqual(['acs:eventbridge:cn-hangzhou:1234567890123456:eventbus/dashscope-fc', 'acs:eventbridge:cn-hangzhou:1234567890123456:eventbus/dashscope-fc/rule/*']);
    const slr = statements.find((s) => s.Action.includes('ram:CreateServiceLinkedRole'))!;
    expect(slr.Condition).toEqual({ StringEquals: { 'ram:ServiceName': 'sendtofc.eventbridge.aliyuncs.com' } });
  });

  it('names the variables --policies needs', () => {
    expect(() => loadOperatorConfig({ FC_REGION: 'cn-hangzhou', OSS_BUCKET: 'prod-media' }, POLICY_REQUIREMENTS)).toThrow(/^missing: FC_ACCOUNT_ID \(your account id\); OTS_INSTANCE \(/);
  });

  it('refuses a placeholder it has no value for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    try {
      for (const { file } of POLICY_FILES) writeFileSync(join(dir, file), '{"Resource": "acs:vpc:${region}:${vpcId}"}');
      expect(() => fillPolicies(dir, { region: 'cn-hangzhou' })).toThrow('function-role-trust.json: no value for the placeholder ${vpcId}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
