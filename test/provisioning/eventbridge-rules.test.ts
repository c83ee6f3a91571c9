// The bus-rules provisioning step over the EventBridge stand-in: the rules come from s.yaml's eventbridge triggers;
// plan lists what is missing, apply creates it, a second apply changes nothing, drift is corrected.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readSYaml } from '../../dev/runtime/s-yaml.ts';
import { startEventBridgeStandin, STANDIN_ACCESS_KEY, type EventBridgeStandin } from '../../dev/standins/eventbridge/server.ts';
import { EventBridgeCallError, EventBridgeClient } from '../../shared/adapters/eventbridge/eventbridge-client.ts';
import { createRule, createTargets, getRule, updateRule, type RuleTarget } from '../../shared/adapters/eventbridge/event-rules-api.ts';
import { eventRulesStep } from '../../shared/adapters/eventbridge/event-rules-setup.ts';
import { busRules } from '../../scripts/setup/bus-rules.ts';
import { S_YAML, setupSteps } from '../../scripts/setup/setup-steps.ts';
import { loadOperatorConfig } from '../../scripts/operator-env.ts';

const BUS = 'dashscope-fc';
const EVENTS_RULE = 'dashscope-fc-submit-task-pipeline-events';
const TASKS_RULE = 'dashscope-fc-submit-task-pipeline-tasks';
const specs = readSYaml(S_YAML, {});
const submitTask = specs.find((s) => s.functionName === 'dashscope-fc-submit-task')!;
const patternOf = (trigger: string) => {
  const t = submitTask.triggers.find((x) => x.triggerName === trigger);
  if (t?.triggerType !== 'eventbridge') throw new Error(`no eventbridge trigger ${trigger} in s.yaml`);
  return t.triggerConfig.eventRuleFilterPattern;
};

let standin: EventBridgeStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function setup(buses: string[] = ['default', BUS]) {
  standin = await startEventBridgeStandin({ buses });
  const client = new EventBridgeClient({ endpoint: standin.endpoint, protocol: 'http', credentials: () => STANDIN_ACCESS_KEY });
  const rules = busRules(specs, { region: 'cn-hangzhou', accountId: standin.accountId });
  return { standin, client, rules, step: eventRulesStep(client, BUS, rules) };
}
const writes = (s: EventBridgeStandin) => s.requests().filter((r) => ['createRule', 'updateRule', 'createTargets', 'deleteTargets'].includes(r.action));

describe('busRules (from s.yaml)', () => {
  it("makes one rule per pipeline trigger of submit-task, with the trigger's own pattern and the function as async target", async () => {
    const rules = busRules(specs, { region: 'cn-beijing', accountId: '1234567890123456' });
    expect(rules.map((r) => r.name)).toEqual([EVENTS_RULE, TASKS_RULE]);
    expect(rules[0]!.filterPattern).toBe(patternOf('pipeline-events'));
    expect(JSON.parse(rules[0]!.filterPattern)).toEqual({ source: ['dashscope-fc'], type: ['pipeline.queued', 'pipeline.due'] });
    expect(rules[1]!.filterPattern).toBe(patternOf('pipeline-tasks'));
    for (const r of rules) {
      expect(r.target).toMatchObject({ id: 'dashscope-fc-submit-task', type: 'acs.fc.function', endpoint: 'acs:fc:cn-beijing:1234567890123456:functions/dashscope-fc-submit-task' });
      expect(r.target.paramList).toContainEqual({ resourceKey: 'InvocationType', form: 'CONSTANT', value: 'Async' });
      expect(r.target.paramList).toContainEqual({ resourceKey: 'Body', form: 'ORIGINAL' });
    }
  });

  it('skips a disabled trigger and sends only data for a RawData one', () => {
    const base = submitTask.triggers.find((t) => t.triggerName === 'pipeline-events')!;
    if (base.triggerType !== 'eventbridge') throw new Error('unexpected trigger type');
    const raw = { ...base, triggerName: 'raw', triggerConfig: { ...base.triggerConfig, eventSinkConfig: { deliveryOption: { eventSchema: 'RawData' } } } };
    const off = { ...base, triggerName: 'off', triggerConfig: { ...base.triggerConfig, triggerEnable: false } };
    const rules = busRules([{ ...submitTask, triggers: [raw, off] }], { region: 'cn-beijing', accountId: '1' });
    expect(rules.map((r) => r.name)).toEqual(['dashscope-fc-submit-task-raw']);
    expect(rules[0]!.target.paramList).toContainEqual({ resourceKey: 'Body', form: 'JSONPATH', value: '$.data' });
  });

  it('leaves the rules out on the default bus, where fc3 triggers already deliver these patterns', () => {
    const env = { OTS_INSTANCE: 'prod', OSS_BUCKET: 'media-bucket', FC_REGION: 'cn-beijing', FC_ACCOUNT_ID: '1234567890123456' };
    const creds = { accessKeyId: 'LTAIfake', accessKeySecret: 'fake-secret' };
    expect(setupSteps(loadOperatorConfig(env, []), creds).map((s) => s.name)).toContain(`EventBridge rules on ${BUS}`);
    expect(setupSteps(loadOperatorConfig({ ...env, EVENTBRIDGE_BUS: 'default' }, []), creds).map((s) => s.name).filter((n) => n.includes('rules on'))).toEqual([]);
  });
});

describe('eventRulesStep', () => {
  it('plans both rules, creates them with their target, then plans nothing and a second apply writes nothing', async () => {
    const { standin, step, rules } = await setup();
    expect(step.name).toBe(`EventBridge rules on ${BUS}`);
    const plan = await step.plan();
    expect(plan).toHaveLength(2);
    expect(plan[0]).toBe(`create rule ${EVENTS_RULE} on bus ${BUS} matching ${patternOf('pipeline-events')}, target dashscope-fc-submit-task → ${rules[0]!.target.endpoint}`);
    expect(standin.rules(BUS)).toEqual([]);

    await step.apply();
    const made = standin.rules(BUS);
    expect(made.map((r) => [r.name, r.status, r.filterPattern])).toEqual([[EVENTS_RULE, 'ENABLE', patternOf('pipeline-events')], [TASKS_RULE, 'ENABLE', patternOf('pipeline-tasks')]]);
    expect(made[0]!.targets).toEqual([expect.objectContaining({ Id: 'dashscope-fc-submit-task', Type: 'acs.fc.function', Endpoint: rules[0]!.target.endpoint, PushRetryStrategy: 'BACKOFF_RETRY' })]);
    expect(writes(standin).map((r) => r.action)).toEqual(['createRule', 'createRule']);

    expect(await step.plan()).toEqual([]);
    await step.apply();
    expect(writes(standin)).toHaveLength(2);
  });

  it('plans the rules without failing before the bus exists (a dry run on an empty account)', async () => {
    const { step } = await setup(['default']);
    expect(await step.plan()).toEqual([expect.stringMatching(/^create rule dashscope-fc-submit-task-pipeline-events /), expect.stringMatching(/^create rule dashscope-fc-submit-task-pipeline-tasks /)]);
  });

  it('updates a rule whose pattern drifted to the pattern of s.yaml and leaves its matching target alone', async () => {
    const { standin, client, step, rules } = await setup();
    await step.apply();
    const drifted = '{"source":["dashscope-fc"],"type":["pipeline.queued"]}';
    await updateRule(client, BUS, { name: EVENTS_RULE, filterPattern: drifted, description: 'changed by hand', status: 'ENABLE' });
    expect(await step.plan()).toEqual([`update rule ${EVENTS_RULE}: pattern ${drifted} → ${patternOf('pipeline-events')}`]);
    const before = writes(standin).length;
    await step.apply();
    expect(writes(standin).slice(before).map((r) => r.action)).toEqual(['updateRule']);
    expect(await getRule(client, BUS, EVENTS_RULE)).toMatchObject({ filterPattern: rules[0]!.filterPattern, description: rules[0]!.description, status: 'ENABLE' });
    expect(await step.plan()).toEqual([]);
  });

  it('takes a pattern with other key order and spacing as the same, and enables a disabled rule', async () => {
    const { client, step } = await setup();
    await step.apply();
    const p = JSON.parse(patternOf('pipeline-events')) as { source: string[]; type: string[] };
    await updateRule(client, BUS, { name: EVENTS_RULE, filterPattern: JSON.stringify({ type: p.type, source: p.source }, null, 2), description: 'x', status: 'DISABLE' });
    expect(await step.plan()).toEqual([`update rule ${EVENTS_RULE}: status DISABLE → ENABLE`]);
    await step.apply();
    expect(await getRule(client, BUS, EVENTS_RULE)).toMatchObject({ status: 'ENABLE' });
  });

  it('replaces our target when it drifted, adds it when missing, and keeps a target someone else added', async () => {
    const { standin, client, step, rules } = await setup();
    const stale: RuleTarget = { ...rules[0]!.target, endpoint: 'acs:fc:cn-hangzhou:1:functions/old-name' };
    const theirs: RuleTarget = { id: 'audit', type: 'acs.mns.queue', endpoint: 'acs:mns:cn-hangzhou:1:queues/audit', pushRetryStrategy: 'BACKOFF_RETRY', paramList: [] };
    await createRule(client, BUS, { name: EVENTS_RULE, filterPattern: rules[0]!.filterPattern, description: rules[0]!.description, targets: [stale, theirs] });
    await createRule(client, BUS, { name: TASKS_RULE, filterPattern: rules[1]!.filterPattern, description: rules[1]!.description, targets: [] });
    expect(await step.plan()).toEqual([
      `replace target dashscope-fc-submit-task of rule ${EVENTS_RULE} with → ${rules[0]!.target.endpoint} (acs.fc.function, BACKOFF_RETRY)`,
      `add target dashscope-fc-submit-task → ${rules[1]!.target.endpoint} to rule ${TASKS_RULE}`,
    ]);
    await step.apply();
    const [events, tasks] = standin.rules(BUS);
    expect((events!.targets as { Id: string; Endpoint: string }[]).map((t) => [t.Id, t.Endpoint]).sort()).toEqual([['audit', theirs.endpoint], ['dashscope-fc-submit-task', rules[0]!.target.endpoint]]);
    expect((tasks!.targets as { Id: string }[]).map((t) => t.Id)).toEqual(['dashscope-fc-submit-task']);
    expect(await step.plan()).toEqual([]);
  });

  it('treats a rule another run created after the read as existing, and completes it', async () => {
    const { standin, client, rules } = await setup();
    await createRule(client, BUS, { name: EVENTS_RULE, filterPattern: '{"source":["other"]}', description: 'racing run', targets: [] });
    // the first read saw no rule; every read after it sees the service
    let reads = 0;
    const racing = eventRulesStep({ call: (action, path, body) => (action === 'GetRule' && reads++ === 0 ? Promise.reject(new EventBridgeCallError('GetRule', 'refused', 'EventRuleNotExisted', undefined)) : client.call(action, path, body)) }, BUS, rules.slice(0, 1));
    await racing.apply();
    expect(standin.requests().find((r) => r.action === 'createRule' && r.status === 409)).toMatchObject({ code: 'EventRuleAlreadyExisted' });
    expect(await getRule(client, BUS, EVENTS_RULE)).toMatchObject({ filterPattern: rules[0]!.filterPattern, targets: [expect.objectContaining({ id: 'dashscope-fc-submit-task' })] });
  });

  it('fails with the refused entry when the rule has no room for our target', async () => {
    const { client, step, rules } = await setup();
    const others = ['a', 'b', 'c', 'd', 'e'].map((id): RuleTarget => ({ id, type: 'acs.mns.queue', endpoint: `acs:mns:cn-hangzhou:1:queues/${id}`, pushRetryStrategy: 'BACKOFF_RETRY', paramList: [] }));
    await createRule(client, BUS, { name: EVENTS_RULE, filterPattern: rules[0]!.filterPattern, description: '', targets: others });
    await expect(step.apply()).rejects.toMatchObject({ action: 'CreateTargets', kind: 'refused', code: 'EventRuleTargetCountExceeded' });
  });
});

describe("the operator's policy", () => {
  it('allows every call the step sends, creating as much as correcting drift (deploy/operator-policy.json)', async () => {
    const { standin, client, step, rules } = await setup();
    await createRule(client, BUS, { name: EVENTS_RULE, filterPattern: '{"source":["x"]}', description: '', targets: [{ ...rules[0]!.target, endpoint: 'acs:fc:x:1:functions/old' }] });
    await step.plan();
    await step.apply();
    const policy = JSON.parse(readFileSync(new URL('../../deploy/operator-policy.json', import.meta.url), 'utf8')) as { Statement: { Action: string[] }[] };
    const allowed = new Set(policy.Statement.flatMap((s) => s.Action));
    const sent = new Set(standin.requests().map((r) => `eventbridge:${r.action[0]!.toUpperCase()}${r.action.slice(1)}`));
    expect([...sent].sort()).toEqual(['eventbridge:CreateRule', 'eventbridge:CreateTargets', 'eventbridge:DeleteTargets', 'eventbridge:GetRule', 'eventbridge:UpdateRule']);
    for (const action of sent) expect(allowed, action).toContain(action);
  });
});

describe('the stand-in refuses malformed rules', () => {
  it('a pattern that is no JSON object, an unknown retry strategy, a rule on a missing bus', async () => {
    const { client, rules } = await setup(['default', BUS]);
    const target = rules[0]!.target;
    await expect(createRule(client, BUS, { name: 'r1', filterPattern: '["x"]', description: '', targets: [target] })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(createRule(client, BUS, { name: 'r2', filterPattern: '{}', description: '', targets: [{ ...target, pushRetryStrategy: 'FOREVER' }] })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(createRule(client, 'nope', { name: 'r3', filterPattern: '{}', description: '', targets: [] })).rejects.toMatchObject({ code: 'EventBusNotExist' });
    await expect(createTargets(client, BUS, 'missing-rule', [target])).rejects.toMatchObject({ code: 'EventRuleNotExisted' });
    expect(await getRule(client, BUS, 'r1')).toBeUndefined();
  });
});
