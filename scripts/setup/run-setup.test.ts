// The setup runner over fake steps: a dry run plans and never applies, --apply applies in order and proves the
// result by planning again, and a failing step stops the run with one line that shows no secret.
import { describe, expect, it } from 'vitest';
import { runSetup } from './run-setup.ts';
import type { SetupStep } from './setup-step.ts';

/** A step whose resource is missing `missing` things until applied; `calls` records every plan/apply in order. */
function fakeStep(name: string, calls: string[], o: { missing?: string[]; applyFixes?: boolean; planFails?: Error; applyFails?: Error } = {}): SetupStep {
  let missing = [...(o.missing ?? [])];
  return {
    name,
    async plan() {
      calls.push(`plan ${name}`);
      if (o.planFails) throw o.planFails;
      return [...missing];
    },
    async apply() {
      calls.push(`apply ${name}`);
      if (o.applyFails) throw o.applyFails;
      if (o.applyFixes !== false) missing = [];
    },
  };
}

async function run(steps: SetupStep[], apply: boolean, secrets: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSetup(steps, { apply, print: (l) => out.push(l), printError: (l) => err.push(l), secrets });
  return { code, out, err };
}

describe('setup runner', () => {
  it('plans every step on a dry run and never applies one', async () => {
    const calls: string[] = [];
    const r = await run([fakeStep('tables', calls, { missing: ['create table tasks'] }), fakeStep('bus', calls)], false);
    expect(r.code).toBe(0);
    expect(calls).toEqual(['plan tables', 'plan bus']);
    expect(r.out).toEqual(['tables: 1 change', '  - create table tasks', 'bus: up to date', 'dry run: 1 change planned; run with --apply to make them']);
    expect(r.err).toEqual([]);
  });

  it('applies the steps with changes in order, then plans all of them again', async () => {
    const calls: string[] = [];
    const steps = [fakeStep('tables', calls, { missing: ['create table tasks', 'create index tasks_by_due'] }), fakeStep('bus', calls), fakeStep('bucket', calls, { missing: ['add rule tmp/staging/'] })];
    const r = await run(steps, true);
    expect(r.code).toBe(0);
    expect(calls).toEqual(['plan tables', 'apply tables', 'plan bus', 'plan bucket', 'apply bucket', 'plan tables', 'plan bus', 'plan bucket']);
    expect(r.out).toContain('tables: applied');
    expect(r.out).toContain('bucket: applied');
    expect(r.out.at(-1)).toBe('applied; a new plan finds everything up to date');
  });

  it('stops at a step whose apply fails, reports it in one line and leaves the later steps alone', async () => {
    const calls: string[] = [];
    const boom = new Error('OTSAuthFailed: signature mismatch for key-secret-123456\n    at Client.request (tablestore.js:1:1)');
    const r = await run([fakeStep('tables', calls, { missing: ['create table tasks'], applyFails: boom }), fakeStep('bus', calls, { missing: ['create bus'] })], true, ['key-secret-123456']);
    expect(r.code).toBe(1);
    expect(calls).toEqual(['plan tables', 'apply tables']);
    expect(r.err).toEqual(['tables: apply failed: OTSAuthFailed: signature mismatch for *** at Client.request (tablestore.js:1:1)']);
  });

  it('stops at a step whose plan fails, on a dry run too', async () => {
    const calls: string[] = [];
    const r = await run([fakeStep('tables', calls, { planFails: new Error('connect ECONNREFUSED') }), fakeStep('bus', calls)], false);
    expect(r.code).toBe(1);
    expect(calls).toEqual(['plan tables']);
    expect(r.err).toEqual(['tables: plan failed: connect ECONNREFUSED']);
  });

  it('fails when a new plan after apply still finds something missing, naming it', async () => {
    const calls: string[] = [];
    const r = await run([fakeStep('bucket', calls, { missing: ['add rule tmp/staging/'], applyFixes: false })], true);
    expect(r.code).toBe(1);
    expect(calls).toEqual(['plan bucket', 'apply bucket', 'plan bucket']);
    expect(r.err).toEqual(['bucket: still missing after apply: add rule tmp/staging/']);
  });

  it('has nothing to do without steps', async () => {
    expect(await run([], true)).toEqual({ code: 0, out: ['no setup steps: nothing to plan'], err: [] });
  });
});
