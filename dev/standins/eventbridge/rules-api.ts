// The stand-in's rules and targets on a bus: GetRule, CreateRule, UpdateRule, CreateTargets, DeleteTargets, with
// the SDK's request and answer shapes and the service's limits (50 rules a bus, 5 targets a rule). Pure functions.
import { randomUUID } from 'node:crypto';
import type { ApiAnswer, BusState } from './bus-api.ts';
import { createRuleBodySchema, createTargetsBodySchema, deleteTargetsBodySchema, getRuleBodySchema, updateRuleBodySchema, type WireTarget } from './wire.ts';

export interface StandinRule {
  description: string;
  status: 'ENABLE' | 'DISABLE';
  filterPattern: string;
  targets: WireTarget[];
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** Rules by bus name, then by rule name. */
export type RuleState = Map<string, Map<string, StandinRule>>;

const ok = (body: Record<string, unknown>): ApiAnswer => ({ ok: true, body: { RequestId: randomUUID(), ...body } });
const invalid = (message: string): ApiAnswer => ({ ok: false, status: 400, code: 'InvalidArgument', message });
const noBus = (name: string): ApiAnswer => ({ ok: false, status: 404, code: 'EventBusNotExist', message: `The event bus ${name} does not exist.` });
const noRule = (bus: string, rule: string): ApiAnswer => ({ ok: false, status: 404, code: 'EventRuleNotExisted', message: `The event rule ${rule} does not exist on the bus ${bus}.` });
const RULE_NAME = /^[A-Za-z0-9-]{1,127}$/;
const RETRY_STRATEGIES = new Set(['BACKOFF_RETRY', 'EXPONENTIAL_DECAY_RETRY']);
export const MAX_RULES_PER_BUS = 50;
export const MAX_TARGETS_PER_RULE = 5;

/** Why a pattern is refused: it must be the text of a JSON object. */
function patternProblem(pattern: string): string | undefined {
  try {
    const v: unknown = JSON.parse(pattern);
    return v && typeof v === 'object' && !Array.isArray(v) ? undefined : 'FilterPattern must be a JSON object.';
  } catch {
    return 'FilterPattern must be JSON.';
  }
}

function targetProblem(t: WireTarget): string | undefined {
  if (!t.Type || !t.Endpoint) return 'Type and Endpoint are required.';
  if (!RETRY_STRATEGIES.has(t.PushRetryStrategy ?? '')) return 'PushRetryStrategy must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY.';
  return undefined;
}

function ruleOf(state: BusState & { rules: RuleState }, bus: string, rule: string): { ok: true; rule: StandinRule } | { ok: false; answer: ApiAnswer } {
  if (!state.buses.has(bus)) return { ok: false, answer: noBus(bus) };
  const found = state.rules.get(bus)?.get(rule);
  return found ? { ok: true, rule: found } : { ok: false, answer: noRule(bus, rule) };
}

const ruleArn = (state: BusState, bus: string, rule: string) => `acs:eventbridge:${state.region}:${state.accountId}:eventbus/${bus}/rule/${rule}`;

export function getRule(state: BusState & { rules: RuleState }, raw: unknown): ApiAnswer {
  const body = getRuleBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName and RuleName are required.');
  const { EventBusName: bus, RuleName: name } = body.data;
  const found = ruleOf(state, bus, name);
  if (!found.ok) return found.answer;
  const r = found.rule;
  return ok({
    ResourceOwnerAccountId: state.accountId,
    EventBusName: bus,
    RuleARN: ruleArn(state, bus, name),
    RuleName: name,
    Description: r.description,
    Status: r.status,
    FilterPattern: r.filterPattern,
    Targets: structuredClone(r.targets),
    Ctime: r.createdAt,
    Mtime: r.updatedAt,
  });
}

export function createRule(state: BusState & { rules: RuleState }, raw: unknown): ApiAnswer {
  const body = createRuleBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName, RuleName and well-formed Targets are required.');
  const q = body.data;
  if (!RULE_NAME.test(q.RuleName)) return invalid(`The event rule name ${q.RuleName} is invalid.`);
  const pattern = q.FilterPattern ?? '{}';
  const problem = patternProblem(pattern) ?? q.Targets.map(targetProblem).find(Boolean);
  if (problem) return invalid(problem);
  if (q.Targets.length > MAX_TARGETS_PER_RULE) return invalid(`A rule takes at most ${MAX_TARGETS_PER_RULE} targets.`);
  if (new Set(q.Targets.map((t) => t.Id)).size !== q.Targets.length) return invalid('Target ids must be unique in a rule.');
  if (!state.buses.has(q.EventBusName)) return noBus(q.EventBusName);
  const rules = state.rules.get(q.EventBusName) ?? new Map<string, StandinRule>();
  if (rules.has(q.RuleName)) return { ok: false, status: 409, code: 'EventRuleAlreadyExisted', message: `The event rule ${q.RuleName} already exists.` };
  if (rules.size >= MAX_RULES_PER_BUS) return { ok: false, status: 400, code: 'EventRuleCountExceeded', message: `A bus takes at most ${MAX_RULES_PER_BUS} rules.` };
  const now = state.now();
  rules.set(q.RuleName, { description: q.Description ?? '', status: q.Status ?? 'ENABLE', filterPattern: pattern, targets: structuredClone(q.Targets), createdAt: now, updatedAt: now });
  state.rules.set(q.EventBusName, rules);
  return ok({ ResourceOwnerAccountId: state.accountId, RuleARN: ruleArn(state, q.EventBusName, q.RuleName) });
}

export function updateRule(state: BusState & { rules: RuleState }, raw: unknown): ApiAnswer {
  const body = updateRuleBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName and RuleName are required.');
  const q = body.data;
  if (q.FilterPattern !== undefined) {
    const problem = patternProblem(q.FilterPattern);
    if (problem) return invalid(problem);
  }
  const found = ruleOf(state, q.EventBusName, q.RuleName);
  if (!found.ok) return found.answer;
  const r = found.rule;
  if (q.FilterPattern !== undefined) r.filterPattern = q.FilterPattern;
  if (q.Description !== undefined) r.description = q.Description;
  if (q.Status !== undefined) r.status = q.Status;
  r.updatedAt = state.now();
  return ok({ ResourceOwnerAccountId: state.accountId });
}

/** Adds targets; an entry it cannot take (malformed, a duplicate id, past the limit) is reported, the rest added. */
export function createTargets(state: BusState & { rules: RuleState }, raw: unknown): ApiAnswer {
  const body = createTargetsBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName, RuleName and Targets are required.');
  const q = body.data;
  const found = ruleOf(state, q.EventBusName, q.RuleName);
  if (!found.ok) return found.answer;
  const r = found.rule;
  const errors: { EntryId: string; ErrorCode: string; ErrorMessage: string }[] = [];
  for (const t of q.Targets) {
    const problem = targetProblem(t);
    if (problem) errors.push({ EntryId: t.Id, ErrorCode: 'InvalidArgument', ErrorMessage: problem });
    else if (r.targets.some((x) => x.Id === t.Id)) errors.push({ EntryId: t.Id, ErrorCode: 'EventRuleTargetIdDuplicate', ErrorMessage: `The target ${t.Id} already exists.` });
    else if (r.targets.length >= MAX_TARGETS_PER_RULE) errors.push({ EntryId: t.Id, ErrorCode: 'EventRuleTargetCountExceeded', ErrorMessage: `A rule takes at most ${MAX_TARGETS_PER_RULE} targets.` });
    else r.targets.push(structuredClone(t));
  }
  r.updatedAt = state.now();
  return ok({ ResourceOwnerAccountId: state.accountId, ErrorEntriesCount: errors.length, ErrorEntries: errors });
}

/** Removes the targets with these ids; an id the rule does not have is reported. */
export function deleteTargets(state: BusState & { rules: RuleState }, raw: unknown): ApiAnswer {
  const body = deleteTargetsBodySchema.safeParse(raw);
  if (!body.success) return invalid('EventBusName, RuleName and TargetIds are required.');
  const q = body.data;
  const found = ruleOf(state, q.EventBusName, q.RuleName);
  if (!found.ok) return found.answer;
  const r = found.rule;
  const errors = q.TargetIds.filter((id) => !r.targets.some((t) => t.Id === id)).map((id) => ({ EntryId: id, ErrorCode: 'EventRuleTargetNotExisted', ErrorMessage: `The target ${id} does not exist.` }));
  r.targets = r.targets.filter((t) => !q.TargetIds.includes(t.Id));
  r.updatedAt = state.now();
  return ok({ ResourceOwnerAccountId: state.accountId, ErrorEntriesCount: errors.length, ErrorEntries: errors });
}
