import { describe, expect, it } from 'vitest';
import { dayWindow, minuteWindow, monthWindow, secondWindow } from './windows.ts';

const at = (iso: string) => new Date(iso);

describe('windows', () => {
  it('names and bounds the UTC second, minute, day and month a moment falls in', () => {
    const now = at('2026-12-03T15:46:05.250Z');
    expect(secondWindow(now)).toEqual({ id: '2026-12-03T15:46:05', start: Date.parse('2026-12-03T15:46:05Z'), end: Date.parse('2026-12-03T15:46:06Z') });
    expect(minuteWindow(now)).toEqual({ id: '2026-12-03T15:46', start: Date.parse('2026-12-03T15:46:00Z'), end: Date.parse('2026-12-03T15:47:00Z') });
    expect(dayWindow(now)).toEqual({ id: '2026-12-03', start: Date.parse('2026-12-03T00:00:00Z'), end: Date.parse('2026-12-04T00:00:00Z') });
    expect(monthWindow(now)).toEqual({ id: '2026-12', start: Date.parse('2026-12-01T00:00:00Z'), end: Date.parse('2027-01-01T00:00:00Z') });
  });

  it('gives the next window from the first millisecond past the end, however the moments are asked in turn', () => {
    const last = at('2026-12-31T23:59:59.999Z');
    const next = at('2027-01-01T00:00:00.000Z');
    const ids = (m: Date) => [secondWindow(m).id, minuteWindow(m).id, dayWindow(m).id, monthWindow(m).id].join(' ');
    const before = '2026-12-31T23:59:59 2026-12-31T23:59 2026-12-31 2026-12';
    const after = '2027-01-01T00:00:00 2027-01-01T00:00 2027-01-01 2027-01';
    expect([last, next, last, next, next, last].map(ids)).toEqual([before, after, before, after, after, before]);
    // February of a leap year ends on the 29th
    expect(monthWindow(at('2028-02-29T12:00:00Z')).end).toBe(Date.parse('2028-03-01T00:00:00Z'));
  });

  it('hands out windows that cannot be changed by a caller', () => {
    const w = minuteWindow(at('2026-12-03T15:46:05Z'));
    expect(() => Object.assign(w, { end: 0 })).toThrow(TypeError);
    expect(minuteWindow(at('2026-12-03T15:46:59Z')).end).toBe(Date.parse('2026-12-03T15:47:00Z'));
  });
});
