import { describe, expect, it } from 'vitest';
import { TASK_STATUSES, TRANSITIONS, canTransition, isTerminal } from './task.ts';

describe('task transition table', () => {
  it('lets no terminal status move', () => {
    for (const s of TASK_STATUSES) if (isTerminal(s)) expect(TRANSITIONS[s], s).toEqual([]);
  });

  it('never moves back to an earlier stage of the happy path', () => {
    const order = ['QUEUED', 'PENDING', 'RUNNING', 'SUCCEEDED', 'PERSISTED'] as const;
    order.forEach((from, i) => order.slice(0, i + 1).forEach((to) => expect(canTransition(from, to), `${from}→${to}`).toBe(false)));
  });

  it('reaches PERSISTED only from SUCCEEDED, and every status can end terminal', () => {
    expect(TASK_STATUSES.filter((s) => canTransition(s, 'PERSISTED'))).toEqual(['SUCCEEDED']);
    for (const s of TASK_STATUSES) if (!isTerminal(s)) expect(TRANSITIONS[s].some(isTerminal), s).toBe(true);
  });

  it('cannot cancel once DashScope finished', () => {
    expect(canTransition('SUCCEEDED', 'CANCELED')).toBe(false);
    expect(canTransition('PENDING', 'CANCELED')).toBe(true);
  });
});
