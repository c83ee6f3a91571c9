// The provisioning step for the EventBridge rules that route our custom bus to functions (fc3's eventbridge
// triggers cannot): plan() lists rules and targets missing or drifted, apply() creates or corrects only those.
import type { EventBridgeClient } from './eventbridge-client.ts';
import { createRule, createTargets, deleteTargets, getRule, updateRule, type EventRule, type RuleTarget } from './event-rules-api.ts';

/** A rule as it should be on the bus: its pattern and the one target setup owns on it. */
export interface WantedRule {
  name: string;
  /** A JSON text; compared with the service's by meaning, not by spelling. */
  filterPattern: string;
  description: string;
  target: RuleTarget;
}

export interface EventRulesStep {
  name: string;
  plan(): Promise<string[]>;
  apply(): Promise<void>;
}

type Caller = Pick<EventBridgeClient, 'call'>;

/** The JSON text with object keys sorted at every level; the text itself when it is no JSON. */
function canonical(json: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sort(x)]))
    : v;
  try {
    return JSON.stringify(sort(JSON.parse(json)));
  } catch {
    return json;
  }
}

const samePattern = (a: string, b: string) => canonical(a) === canonical(b);

function targetText(t: RuleTarget): string {
  const params = [...t.paramList].sort((a, b) => (a.resourceKey < b.resourceKey ? -1 : a.resourceKey > b.resourceKey ? 1 : 0));
  return JSON.stringify([t.type, t.endpoint, t.pushRetryStrategy, params.map((p) => [p.resourceKey, p.form, p.value ?? null, p.template ?? null])]);
}

type Change =
  | { kind: 'create-rule'; rule: WantedRule }
  | { kind: 'update-rule'; rule: WantedRule; line: string }
  | { kind: 'add-target'; rule: WantedRule }
  | { kind: 'replace-target'; rule: WantedRule };

/** What differs between the rule as it is (undefined: missing) and as it should be. */
function changesFor(wanted: WantedRule, current: EventRule | undefined): Change[] {
  if (!current) return [{ kind: 'create-rule', rule: wanted }];
  const changes: Change[] = [];
  const drifted = !samePattern(current.filterPattern, wanted.filterPattern);
  if (drifted || current.status !== 'ENABLE') {
    const what = [drifted ? `pattern ${current.filterPattern} → ${wanted.filterPattern}` : '', current.status !== 'ENABLE' ? `status ${current.status} → ENABLE` : ''].filter(Boolean).join(', ');
    changes.push({ kind: 'update-rule', rule: wanted, line: `update rule ${wanted.name}: ${what}` });
  }
  // Other targets someone added to the rule are theirs: only ours, by id, is compared.
  const ours = current.targets.find((t) => t.id === wanted.target.id);
  if (!ours) changes.push({ kind: 'add-target', rule: wanted });
  else if (targetText(ours) !== targetText(wanted.target)) changes.push({ kind: 'replace-target', rule: wanted });
  return changes;
}

function describe(busName: string, c: Change): string {
  const t = c.rule.target;
  switch (c.kind) {
    case 'create-rule':
      return `create rule ${c.rule.name} on bus ${busName} matching ${c.rule.filterPattern}, target ${t.id} → ${t.endpoint}`;
    case 'update-rule':
      return c.line;
    case 'add-target':
      return `add target ${t.id} → ${t.endpoint} to rule ${c.rule.name}`;
    case 'replace-target':
      return `replace target ${t.id} of rule ${c.rule.name} with → ${t.endpoint} (${t.type}, ${t.pushRetryStrategy})`;
  }
}

/**
 * One rule per wanted rule on `busName`, each delivering to its target. A rule whose pattern drifted is updated
 * to the wanted one (the wanted list is the source of truth; the rule names are ours), as is a disabled rule.
 */
export function eventRulesStep(client: Caller, busName: string, rules: readonly WantedRule[]): EventRulesStep {
  const pending = async (): Promise<Change[]> => {
    const all: Change[] = [];
    for (const rule of rules) all.push(...changesFor(rule, await getRule(client, busName, rule.name)));
    return all;
  };
  return {
    name: `EventBridge rules on ${busName}`,
    async plan() {
      return (await pending()).map((c) => describe(busName, c));
    },
    async apply() {
      for (const c of await pending()) {
        const { rule } = c;
        if (c.kind === 'create-rule') {
          // Another run may have created it since the read: then its state is reconciled like any other.
          if ((await createRule(client, busName, { name: rule.name, filterPattern: rule.filterPattern, description: rule.description, targets: [rule.target] })) === 'created') continue;
          for (const again of changesFor(rule, await getRule(client, busName, rule.name))) await applyChange(again);
          continue;
        }
        await applyChange(c);
      }
    },
  };

  async function applyChange(c: Change): Promise<void> {
    const { rule } = c;
    if (c.kind === 'update-rule') await updateRule(client, busName, { name: rule.name, filterPattern: rule.filterPattern, description: rule.description, status: 'ENABLE' });
    else if (c.kind === 'add-target') await createTargets(client, busName, rule.name, [rule.target]);
    else if (c.kind === 'replace-target') {
      // CreateTargets with an id the rule has is not documented to replace it: remove ours, then add it back.
      await deleteTargets(client, busName, rule.name, [rule.target.id]);
      await createTargets(client, busName, rule.name, [rule.target]);
    }
  }
}
