// The runner behind `npm run setup:cloud`: plans every step (dry run, the default), or applies the steps in
// order and plans again to prove nothing is left. A failing step stops the run with one line naming it.
import { oneLine } from '../operator-env.ts';
import type { SetupStep } from './setup-step.ts';

export interface RunSetupOptions {
  /** Apply the changes (`--apply`); otherwise only print them. */
  apply: boolean;
  /** Progress and results, one line each. */
  print: (line: string) => void;
  /** The failure lines. */
  printError: (line: string) => void;
  /** Values no line may show (the access key secret, the STS token). */
  secrets?: readonly (string | undefined)[];
}

/** Plans (and with `apply`, applies then re-plans) `steps`; resolves to the process exit code, 0 or 1. */
export async function runSetup(steps: readonly SetupStep[], o: RunSetupOptions): Promise<0 | 1> {
  const fail = (step: SetupStep, what: string, e: unknown): 1 => {
    o.printError(`${step.name}: ${what} failed: ${oneLine(e, o.secrets)}`);
    return 1;
  };
  if (steps.length === 0) {
    o.print('no setup steps: nothing to plan');
    return 0;
  }
  let pending = 0;
  for (const step of steps) {
    let changes: string[];
    try {
      changes = await step.plan();
    } catch (e) {
      return fail(step, 'plan', e);
    }
    if (changes.length === 0) {
      o.print(`${step.name}: up to date`);
      continue;
    }
    pending += changes.length;
    o.print(`${step.name}: ${changes.length} ${changes.length === 1 ? 'change' : 'changes'}${o.apply ? ', applying' : ''}`);
    for (const c of changes) o.print(`  - ${c}`);
    if (!o.apply) continue;
    try {
      await step.apply();
    } catch (e) {
      return fail(step, 'apply', e);
    }
    o.print(`${step.name}: applied`);
  }
  if (!o.apply) {
    o.print(pending === 0 ? 'everything is up to date' : `dry run: ${pending} ${pending === 1 ? 'change' : 'changes'} planned; run with --apply to make them`);
    return 0;
  }
  // an apply that reports success but leaves something missing must not pass for done
  let left = 0;
  for (const step of steps) {
    let changes: string[];
    try {
      changes = await step.plan();
    } catch (e) {
      return fail(step, 're-plan', e);
    }
    for (const c of changes) o.printError(`${step.name}: still missing after apply: ${c}`);
    left += changes.length;
  }
  if (left > 0) return 1;
  o.print('applied; a new plan finds everything up to date');
  return 0;
}
