import { describe, expect, it } from 'vitest';
import { invocationBudgetMs } from './invocation-deadline.ts';

describe('invocationBudgetMs', () => {
  it("takes the runtime's deadline first, else the function's timeout in seconds, else nothing", () => {
    expect(invocationBudgetMs({ requestId: 'r', deadlineMs: 1_500, function: { name: 'f', timeout: 60 } })).toBe(1_500);
    expect(invocationBudgetMs({ requestId: 'r', function: { name: 'f', timeout: 60 } })).toBe(60_000);
    expect(invocationBudgetMs({ requestId: 'r' })).toBeUndefined();
  });
});
