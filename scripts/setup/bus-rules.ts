// The EventBridge rules setup:cloud keeps on the custom bus, read from s.yaml's eventbridge triggers as the local
// runtime reads them (dev/runtime/s-yaml.ts): one rule per enabled trigger, its pattern as written, its function the target.
import type { WantedRule } from '../../shared/adapters/eventbridge/event-rules-setup.ts';
import type { RuleTargetParam } from '../../shared/adapters/eventbridge/event-rules-api.ts';
import type { FunctionSpec } from '../../dev/runtime/s-yaml.ts';

// Rule names: 1–127 of [A-Za-z0-9-] (EventBridge's limit).
const RULE_NAME = /^[A-Za-z0-9-]{1,127}$/;

export interface BusRuleTargets {
  region: string;
  accountId: string;
}

/** An FC 3.0 function's ARN (no service, no qualifier in the resource). */
export const fcFunctionArn = (t: BusRuleTargets, functionName: string) => `acs:fc:${t.region}:${t.accountId}:functions/${functionName}`;

function isRawData(config: Record<string, unknown>): boolean {
  const sink = config.eventSinkConfig as { deliveryOption?: { eventSchema?: unknown } } | undefined;
  return sink?.deliveryOption?.eventSchema === 'RawData';
}

/**
 * The rules for the functions' eventbridge triggers. Each target invokes the function's LATEST asynchronously
 * (FC's async retries and on-failure destination apply), with the whole CloudEvent as the payload, or only its
 * `data` for a trigger that asks for RawData: the same payload `npm start` delivers.
 */
export function busRules(specs: readonly FunctionSpec[], t: BusRuleTargets): WantedRule[] {
  const rules: WantedRule[] = [];
  for (const fn of specs) {
    for (const trigger of fn.triggers) {
      if (trigger.triggerType !== 'eventbridge' || !trigger.triggerConfig.triggerEnable) continue;
      const name = `${fn.functionName}-${trigger.triggerName}`;
      if (!RULE_NAME.test(name)) throw new Error(`s.yaml: the rule name ${name} (function and trigger name) is not 1–127 of [A-Za-z0-9-]`);
      const body: RuleTargetParam = isRawData(trigger.triggerConfig) ? { resourceKey: 'Body', form: 'JSONPATH', value: '$.data' } : { resourceKey: 'Body', form: 'ORIGINAL' };
      rules.push({
        name,
        filterPattern: trigger.triggerConfig.eventRuleFilterPattern,
        description: `dashscope-fc: s.yaml trigger ${trigger.triggerName} of ${fn.functionName}, kept by npm run setup:cloud`,
        target: {
          id: fn.functionName,
          type: 'acs.fc.function',
          endpoint: fcFunctionArn(t, fn.functionName),
          pushRetryStrategy: 'BACKOFF_RETRY',
          paramList: [
            { resourceKey: 'functionName', form: 'CONSTANT', value: fn.functionName },
            { resourceKey: 'Qualifier', form: 'CONSTANT', value: 'LATEST' },
            { resourceKey: 'InvocationType', form: 'CONSTANT', value: 'Async' },
            body,
          ],
        },
      });
    }
  }
  return rules;
}
