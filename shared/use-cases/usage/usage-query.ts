// What a usage report is asked for (`GET /v1/usage?from&to&group_by&tenant`, `npm run usage`): parsed strictly,
// each refusal a 400 naming the parameter. Dates are UTC; a range is [from, to).
import { TENANT_NAME_PATTERN } from '../../domain/tenant.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';

export const USAGE_GROUPS = ['tenant', 'model', 'day'] as const;
export type UsageGroupBy = (typeof USAGE_GROUPS)[number];

export interface UsageQuery {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  groupBy: UsageGroupBy;
  /** Only this tenant's usage (an admin's filter; an app key sees only its own anyway). */
  tenant?: string;
}

/** The parameters as given (query string or command line), each at most once. */
export interface UsageParams {
  from?: string;
  to?: string;
  group_by?: string;
  tenant?: string;
}

export const USAGE_PARAMS = ['from', 'to', 'group_by', 'tenant'] as const;
export const DEFAULT_GROUP_BY: UsageGroupBy = 'model';
/** The longest range one report covers. */
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

const badParam = (name: string, message: string) => new InvalidRequestError('invalid_query_parameter', `query parameter '${name}' ${message}`, name);

/** The query string's parameters: unknown and repeated ones refused rather than silently ignored or resolved. */
export function usageParamsFromSearch(search: URLSearchParams): UsageParams {
  const params: UsageParams = {};
  for (const name of new Set(search.keys())) {
    if (!(USAGE_PARAMS as readonly string[]).includes(name)) throw badParam(clip(name, 40), `is not supported; use ${USAGE_PARAMS.join(', ')}`);
    const all = search.getAll(name);
    if (all.length > 1) throw badParam(name, 'is given more than once');
    params[name as keyof UsageParams] = all[0];
  }
  return params;
}

// YYYY-MM-DD, or a datetime with minutes, optional seconds and fraction, and an optional Z or ±HH:MM offset
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A date or datetime as an instant. A date alone is midnight UTC, or, for `to` (`endOfDay`), the midnight after,
 * so `to=2026-12-03` includes that day; a datetime without an offset is UTC. Undefined when it is not one.
 */
export function parseInstant(text: string, endOfDay = false): Date | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)] as const;
  const utc = Date.UTC(...fields, frac ? Math.floor(Number(`0${frac}`) * 1_000) : 0);
  const check = new Date(utc);
  // Date.UTC rolls 2026-02-30 over to March: a field that does not come back was out of range
  if (check.getUTCFullYear() !== fields[0] || check.getUTCMonth() !== fields[1] || check.getUTCDate() !== fields[2] || check.getUTCHours() !== fields[3] || check.getUTCMinutes() !== fields[4] || check.getUTCSeconds() !== fields[5]) {
    return undefined;
  }
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  const dateOnly = h === undefined;
  return new Date(utc - offsetMin * 60_000 + (dateOnly && endOfDay ? DAY_MS : 0));
}

/** Start of `now`'s UTC month. */
export const startOfUtcMonth = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/**
 * The report asked for: `from` default the start of the current UTC month, `to` default now, `group_by` default
 * model. Refuses a value that is not a date, from ≥ to, a range over MAX_RANGE_DAYS, an unknown group_by and a
 * tenant that is not a tenant name.
 */
export function parseUsageQuery(params: UsageParams, now: Date): UsageQuery {
  const instant = (name: 'from' | 'to'): Date | undefined => {
    const text = params[name];
    if (text === undefined) return undefined;
    const at = parseInstant(text, name === 'to');
    if (!at) throw badParam(name, `must be a date (2026-12-01) or a datetime (2026-12-01T08:00:00Z), UTC unless an offset is given; got '${clip(text, 40)}'`);
    return at;
  };
  const from = instant('from') ?? startOfUtcMonth(now);
  const to = instant('to') ?? now;
  if (from.getTime() >= to.getTime()) {
    throw new InvalidRequestError('invalid_range', `'from' (${from.toISOString()}) must be before 'to' (${to.toISOString()})${params.to === undefined ? ', which defaults to now' : ''}`, params.to === undefined ? 'from' : 'to');
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new InvalidRequestError('invalid_range', `from ${from.toISOString()} to ${to.toISOString()} is more than ${MAX_RANGE_DAYS} days; ask for a shorter range`, 'from');
  }
  const groupBy = params.group_by ?? DEFAULT_GROUP_BY;
  if (!(USAGE_GROUPS as readonly string[]).includes(groupBy)) throw badParam('group_by', `must be one of ${USAGE_GROUPS.join(', ')}; got '${clip(groupBy, 40)}'`);
  const tenant = params.tenant;
  if (tenant !== undefined && !TENANT_NAME_PATTERN.test(tenant)) {
    throw badParam('tenant', 'must be a tenant name: 1-63 lower-case letters, digits, - and _, starting with a letter or digit');
  }
  return { from, to, groupBy: groupBy as UsageGroupBy, ...(tenant !== undefined ? { tenant } : {}) };
}
