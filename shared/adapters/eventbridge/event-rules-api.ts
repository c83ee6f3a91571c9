// The EventBridge rule and target calls (GetRule, CreateRule, UpdateRule, CreateTargets, DeleteTargets) over our
// signed client, with the request and answer shapes of the `@alicloud/eventbridge` SDK's models.
import { z } from 'zod';
import { EventBridgeCallError, type EventBridgeClient } from './eventbridge-client.ts';

/** One parameter of a target (`EBTargetParam`): where a piece of the invocation comes from. */
export interface RuleTargetParam {
  resourceKey: string;
  /** `CONSTANT`, `ORIGINAL` (the whole event), `JSONPATH`, `TEMPLATE`. */
  form: string;
  value?: string;
  template?: string;
}

/** A rule's target (`TargetEntry`). */
export interface RuleTarget {
  id: string;
  type: string;
  endpoint: string;
  /** `BACKOFF_RETRY` or `EXPONENTIAL_DECAY_RETRY`. */
  pushRetryStrategy: string;
  paramList: RuleTargetParam[];
}

export interface EventRule {
  name: string;
  /** The pattern as the service keeps it: a JSON text. */
  filterPattern: string;
  /** `ENABLE` or `DISABLE`. */
  status: string;
  description?: string;
  targets: RuleTarget[];
}

type Caller = Pick<EventBridgeClient, 'call'>;

// Neither code is documented for these calls; the spellings of the service's error table are taken, with the
// bus's own code for a bus that does not exist yet (nothing can be on it).
const RULE_NOT_FOUND = new Set(['EventRuleNotExisted', 'EventRuleNotExist', 'EventRuleNotExists', 'EventBusNotExist', 'EventBusNotExists']);
const RULE_EXISTS = new Set(['EventRuleAlreadyExisted', 'EventRuleAlreadyExist', 'EventRuleAlreadyExists']);

const paramSchema = z.object({ ResourceKey: z.string(), Form: z.string(), Value: z.string().nullish(), Template: z.string().nullish() });
const targetSchema = z.object({
  Id: z.string(),
  Type: z.string().nullish(),
  Endpoint: z.string().nullish(),
  PushRetryStrategy: z.string().nullish(),
  ParamList: z.array(paramSchema).nullish(),
});
const ruleAnswerSchema = z.object({
  RuleName: z.string().nullish(),
  FilterPattern: z.string().nullish(),
  Status: z.string().nullish(),
  Description: z.string().nullish(),
  Targets: z.array(targetSchema).nullish(),
});
const targetsAnswerSchema = z.object({
  ErrorEntriesCount: z.number().nullish(),
  ErrorEntries: z.array(z.object({ EntryId: z.string().nullish(), ErrorCode: z.string().nullish(), ErrorMessage: z.string().nullish() })).nullish(),
});

/** A target as the SDK puts it on the wire (PascalCase, absent optional fields left out). */
export function wireTarget(t: RuleTarget): Record<string, unknown> {
  return {
    Id: t.id,
    Type: t.type,
    Endpoint: t.endpoint,
    PushRetryStrategy: t.pushRetryStrategy,
    ParamList: t.paramList.map((p) => ({
      ResourceKey: p.resourceKey,
      Form: p.form,
      ...(p.value !== undefined ? { Value: p.value } : {}),
      ...(p.template !== undefined ? { Template: p.template } : {}),
    })),
  };
}

function readTarget(t: z.infer<typeof targetSchema>): RuleTarget {
  return {
    id: t.Id,
    type: t.Type ?? '',
    endpoint: t.Endpoint ?? '',
    pushRetryStrategy: t.PushRetryStrategy ?? '',
    paramList: (t.ParamList ?? []).map((p) => ({
      resourceKey: p.ResourceKey,
      form: p.Form,
      ...(p.Value != null ? { value: p.Value } : {}),
      ...(p.Template != null ? { template: p.Template } : {}),
    })),
  };
}

/** The rule with its targets, or undefined when it (or its bus) does not exist. */
export async function getRule(client: Caller, busName: string, ruleName: string): Promise<EventRule | undefined> {
  let answer: Record<string, unknown>;
  try {
    answer = await client.call('GetRule', '/openapi/getRule', { EventBusName: busName, RuleName: ruleName });
  } catch (err) {
    if (err instanceof EventBridgeCallError && err.code && RULE_NOT_FOUND.has(err.code)) return undefined;
    throw err;
  }
  const parsed = ruleAnswerSchema.safeParse(answer);
  if (!parsed.success) throw new EventBridgeCallError('GetRule', 'network', 'UnreadableAnswer', undefined);
  const r = parsed.data;
  return {
    name: r.RuleName ?? ruleName,
    filterPattern: r.FilterPattern ?? '',
    status: r.Status ?? 'ENABLE',
    ...(r.Description ? { description: r.Description } : {}),
    targets: (r.Targets ?? []).map(readTarget),
  };
}

/** Creates the rule, enabled, with its targets; `exists` when the service says it already does. */
export async function createRule(client: Caller, busName: string, rule: { name: string; filterPattern: string; description: string; targets: RuleTarget[] }): Promise<'created' | 'exists'> {
  try {
    await client.call('CreateRule', '/openapi/createRule', {
      // The SDK's field order (CreateRuleRequest.names()), so the bodies compare byte for byte.
      EventBusName: busName,
      Description: rule.description,
      RuleName: rule.name,
      Status: 'ENABLE',
      FilterPattern: rule.filterPattern,
      Targets: rule.targets.map(wireTarget),
    });
    return 'created';
  } catch (err) {
    if (err instanceof EventBridgeCallError && err.code && RULE_EXISTS.has(err.code)) return 'exists';
    throw err;
  }
}

/** Sets the rule's pattern, description and status. */
export async function updateRule(client: Caller, busName: string, rule: { name: string; filterPattern: string; description: string; status: 'ENABLE' | 'DISABLE' }): Promise<void> {
  await client.call('UpdateRule', '/openapi/updateRule', { EventBusName: busName, RuleName: rule.name, Description: rule.description, Status: rule.status, FilterPattern: rule.filterPattern });
}

async function targetsCall(client: Caller, action: 'CreateTargets' | 'DeleteTargets', path: string, body: Record<string, unknown>): Promise<void> {
  const parsed = targetsAnswerSchema.safeParse(await client.call(action, path, body));
  if (!parsed.success) throw new EventBridgeCallError(action, 'network', 'UnreadableAnswer', undefined);
  // The call can succeed as a whole and still refuse an entry: that is a failure of what was asked.
  const failed = (parsed.data.ErrorEntries ?? []).find((e) => e.ErrorCode);
  if (failed || (parsed.data.ErrorEntriesCount ?? 0) > 0) throw new EventBridgeCallError(action, 'refused', failed?.ErrorCode ?? 'Unknown', undefined);
}

/** Adds targets to the rule; throws when any entry is refused. */
export async function createTargets(client: Caller, busName: string, ruleName: string, targets: RuleTarget[]): Promise<void> {
  await targetsCall(client, 'CreateTargets', '/openapi/createTargets', { EventBusName: busName, RuleName: ruleName, Targets: targets.map(wireTarget) });
}

/** Removes the targets with these ids from the rule; throws when any entry is refused. */
export async function deleteTargets(client: Caller, busName: string, ruleName: string, targetIds: string[]): Promise<void> {
  await targetsCall(client, 'DeleteTargets', '/openapi/deleteTargets', { EventBusName: busName, RuleName: ruleName, TargetIds: targetIds });
}
