// How long an event invocation may still run: FC's function timeout (or what the local runtime says is
// left), minus a margin kept back to record what happened before the platform stops the instance.
import type { FcContext } from './fc.ts';

/** Milliseconds the invocation may run in all, or undefined when nothing says. */
export function invocationBudgetMs(context: FcContext): number | undefined {
  return context.deadlineMs ?? (context.function?.timeout ? context.function.timeout * 1000 : undefined);
}

/** A signal that fires `marginMs` before the invocation's deadline (never sooner than `minMs` from now). */
export function invocationSignal(context: FcContext, marginMs: number, minMs = 1_000): AbortSignal | undefined {
  const budget = invocationBudgetMs(context);
  return budget === undefined ? undefined : AbortSignal.timeout(Math.max(budget - marginMs, minMs));
}
