import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { parseInstant, parseUsageQuery, usageParamsFromSearch } from './usage-query.ts';

const now = new Date('2026-12-03T15:46:10.500Z');

function refusal(f: () => unknown): InvalidRequestError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidRequestError);
    return e as InvalidRequestError;
  }
  throw new Error('expected a refusal');
}

describe('parseInstant', () => {
  it('reads a date as midnight UTC, and as the midnight after for the end of a range', () => {
    expect(parseInstant('2026-12-01')?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseInstant('2026-12-01', true)?.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(parseInstant('2026-12-31', true)?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('reads datetimes with or without seconds, fraction and offset (UTC when none)', () => {
    expect(parseInstant('2026-12-01T08:30')?.toISOString()).toBe('2026-12-01T08:30:00.000Z');
    expect(parseInstant('2026-12-01T08:30:15.25Z')?.toISOString()).toBe('2026-12-01T08:30:15.250Z');
    expect(parseInstant('2026-12-01T08:00:00+08:00')?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseInstant('2026-12-01 08:00-0130')?.toISOString()).toBe('2026-12-01T09:30:00.000Z');
    // a datetime is an instant: the end-of-day rule is for dates alone
    expect(parseInstant('2026-12-01T08:00:00Z', true)?.toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('refuses what is not a real date or time', () => {
    for (const bad of ['', 'yesterday', '2026-13-01', '2026-02-30', '2026-12-01T24:00', '2026-12-01T08:60', '2026-12-01T08:00+25:00', '1733000000', '2026-12-1', '2026-12-01Z']) {
      expect(parseInstant(bad), bad).toBeUndefined();
    }
    expect(parseInstant('2028-02-29')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('parseUsageQuery', () => {
  it('defaults to the current UTC month up to now, grouped by model', () => {
    expect(parseUsageQuery({}, now)).toEqual({ from: new Date('2026-12-01T00:00:00Z'), to: now, groupBy: 'model' });
  });

  it('takes from, to, group_by and tenant', () => {
    expect(parseUsageQuery({ from: '2026-11-01', to: '2026-11-30', group_by: 'day', tenant: 'acme' }, now)).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      groupBy: 'day',
      tenant: 'acme',
    });
    // one day: from and to the same date
    const one = parseUsageQuery({ from: '2026-12-02', to: '2026-12-02' }, now);
    expect(one.to.getTime() - one.from.getTime()).toBe(86_400_000);
  });

  it('refuses an unparseable date with a 400 naming the parameter', () => {
    const e = refusal(() => parseUsageQuery({ from: 'last week' }, now));
    expect(e).toMatchObject({ code: 'invalid_query_parameter', param: 'from' });
    expect(e.message).toContain('2026-12-01T08:00:00Z');
    expect(refusal(() => parseUsageQuery({ to: '2026-02-30' }, now)).param).toBe('to');
  });

  it('refuses from at or after to, saying when to defaulted to now', () => {
    const e = refusal(() => parseUsageQuery({ from: '2026-12-04' }, now));
    expect(e).toMatchObject({ code: 'invalid_range', param: 'from' });
    expect(e.message).toContain('defaults to now');
    expect(refusal(() => parseUsageQuery({ from: '2026-12-01T10:00Z', to: '2026-12-01T10:00Z' }, now)).code).toBe('invalid_range');
  });

  it('takes 366 days and refuses a longer range', () => {
    expect(parseUsageQuery({ from: '2025-12-01', to: '2026-12-01T23:59:59Z' }, now).from.toISOString()).toBe('2025-12-01T00:00:00.000Z');
    const e = refusal(() => parseUsageQuery({ from: '2025-01-01', to: '2026-12-01' }, now));
    expect(e).toMatchObject({ code: 'invalid_range' });
    expect(e.message).toContain('366 days');
  });

  it('refuses an unknown group_by and a tenant that is not a tenant name', () => {
    expect(refusal(() => parseUsageQuery({ group_by: 'week' }, now))).toMatchObject({ code: 'invalid_query_parameter', param: 'group_by' });
    expect(refusal(() => parseUsageQuery({ tenant: 'Acme Corp' }, now))).toMatchObject({ code: 'invalid_query_parameter', param: 'tenant' });
  });
});

describe('usageParamsFromSearch', () => {
  it('takes the four parameters once each', () => {
    expect(usageParamsFromSearch(new URLSearchParams('from=2026-12-01&group_by=tenant'))).toEqual({ from: '2026-12-01', group_by: 'tenant' });
  });

  it('refuses unknown and repeated parameters', () => {
    expect(refusal(() => usageParamsFromSearch(new URLSearchParams('since=2026-12-01')))).toMatchObject({ code: 'invalid_query_parameter', param: 'since' });
    expect(refusal(() => usageParamsFromSearch(new URLSearchParams('tenant=a&tenant=b'))).message).toContain('more than once');
  });
});
