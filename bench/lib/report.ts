// Tables and verdicts for bench/chat-overhead: per-target TTFB and total time, the TTFB each hop adds over
// going direct (difference of percentiles), and PASS/FAIL against the targets.
import { ms, summarize, table, type Summary } from './stats.ts';
import type { Outcome } from './measure.ts';
import type { FigureTable, Verdict } from './results.ts';

export interface ScenarioResult {
  title: string;
  /** Wall time the scenario took, for the table header. */
  took?: string;
  outcomes: Map<string, Outcome>;
  /** Targets left out of this scenario, with the reason. */
  skipped: Map<string, string>;
  /** CPU time per request in microseconds, by target (direct: the emulator's own share). */
  cpu?: Map<string, number>;
}

const stat = (o: Outcome | undefined, k: 'ttfbMs' | 'totalMs'): Summary => summarize(o?.samples.map((s) => s[k]) ?? []);

/** Added TTFB of `name` over `direct` at p50/p95/p99: percentile of the target minus percentile of direct. */
export function addedTtfb(r: ScenarioResult, name: string, direct = 'direct'): { p50: number; p95: number; p99: number } {
  const x = stat(r.outcomes.get(name), 'ttfbMs');
  const d = stat(r.outcomes.get(direct), 'ttfbMs');
  return { p50: x.p50 - d.p50, p95: x.p95 - d.p95, p99: x.p99 - d.p99 };
}

/**
 * How far the percentile estimates move with sampling alone: the added TTFB of `name` computed from the
 * samples of its even and of its odd rounds (by index for samples without one), as the ratio larger /
 * smaller, at p50 and p99. Split by round, not by sample: under 50 concurrent, the samples of one burst
 * share its stalls, and a p99 there comes from a few bursts, so a split that put every burst in both halves
 * would show those few bursts twice and no spread at all.
 */
export function halfSplitSpread(r: ScenarioResult, name: string): { p50: number; p99: number } {
  const d = stat(r.outcomes.get('direct'), 'ttfbMs');
  const samples = r.outcomes.get(name)?.samples ?? [];
  const half = (parity: number) => summarize(samples.filter((x, i) => (x.round ?? i) % 2 === parity).map((x) => x.ttfbMs));
  const [a, b] = [half(0), half(1)];
  const spread = (x: number, y: number) => Math.max(x, y) / Math.min(x, y);
  return { p50: spread(a.p50 - d.p50, b.p50 - d.p50), p99: spread(a.p99 - d.p99, b.p99 - d.p99) };
}

/** A scenario's figures: per target n, errors, TTFB, total time and added TTFB at p50/p95/p99; noise and CPU under it. */
export function scenarioFigures(r: ScenarioResult): FigureTable {
  const rows: string[][] = [
    ['target', 'n', 'err', 'TTFB p50', 'p95', 'p99', 'total p50', 'p95', 'p99', '+TTFB p50', 'p95', 'p99'],
  ];
  for (const [name, o] of r.outcomes) {
    const t = stat(o, 'ttfbMs');
    const tot = stat(o, 'totalMs');
    const add = name === 'direct' ? undefined : addedTtfb(r, name);
    rows.push([
      name, String(t.n), String(o.errors),
      ms(t.p50), ms(t.p95), ms(t.p99), ms(tot.p50), ms(tot.p95), ms(tot.p99),
      add ? ms(add.p50) : '', add ? ms(add.p95) : '', add ? ms(add.p99) : '',
    ]);
  }
  const failures = [...r.outcomes].filter(([, o]) => o.errors).map(([n, o]) => `${n}: ${o.errors} failed, first: ${o.firstError}`);
  const skipped = [...r.skipped].map(([n, why]) => `${n}: not measured here (${why})`);
  const noise = halfSplitSpread(r, 'bare proxy');
  const fmt = (x: number) => (Number.isFinite(x) && x > 0 ? `${x.toFixed(2)}×` : 'n/a');
  const noiseLine = `sampling noise: the bare proxy's +TTFB from its even vs odd rounds differs by ${fmt(noise.p50)} at p50, ${fmt(noise.p99)} at p99`;
  const cpu = r.cpu?.size ? [`CPU per request (µs, in the server's own process): ${[...r.cpu].map(([n, us]) => `${n === 'direct' ? 'emulator' : n} ${us.toFixed(0)}`).join(', ')}`] : [];
  return { title: `${r.title}${r.took ? ` (${r.took})` : ''}`, rows, notes: [noiseLine, ...cpu, ...failures, ...skipped] };
}

/** The scenario as the bench prints it: title, aligned table, notes indented under it. */
export function scenarioTable(r: ScenarioResult): string {
  const f = scenarioFigures(r);
  return [f.title, table(f.rows), ...(f.notes ?? []).map((n) => `  ${n}`)].join('\n');
}

/** The raw numbers of a scenario for the results JSON (summaries, not every sample). */
export function scenarioData(r: ScenarioResult) {
  const targets = [...r.outcomes].map(([name, o]) => ({
    name,
    n: o.samples.length,
    errors: o.errors,
    sent: o.sent,
    ttfbMs: stat(o, 'ttfbMs'),
    totalMs: stat(o, 'totalMs'),
    ...(name === 'direct' ? {} : { addedTtfbMs: addedTtfb(r, name) }),
    ...(r.cpu?.has(name) ? { cpuMicrosPerRequest: r.cpu.get(name) } : {}),
  }));
  return { title: r.title, took: r.took, targets, noiseBareProxy: halfSplitSpread(r, 'bare proxy'), skipped: Object.fromEntries(r.skipped) };
}

/** chat-stream's added TTFB against the bare proxy's (≤ 1.5×) and Portkey's (below), at p50 and p99. */
export function verdicts(r: ScenarioResult, chat: string, bare: string, portkey: string): Verdict[] {
  const out: Verdict[] = [];
  const c = addedTtfb(r, chat);
  const b = addedTtfb(r, bare);
  const hasPortkey = (r.outcomes.get(portkey)?.samples.length ?? 0) > 0;
  const p = hasPortkey ? addedTtfb(r, portkey) : undefined;
  for (const q of ['p50', 'p99'] as const) {
    const ratio = c[q] / b[q];
    const usable = Number.isFinite(ratio) && b[q] > 0;
    out.push({
      label: `${r.title} — ${q} added TTFB ${chat} / ${bare} ≤ 1.5×`,
      pass: usable ? ratio <= 1.5 : undefined,
      detail: usable ? `${ms(c[q])} / ${ms(b[q])} ms = ${ratio.toFixed(2)}×` : `${ms(c[q])} / ${ms(b[q])} ms: no ratio (the bare proxy adds nothing measurable)`,
    });
    out.push({
      label: `${r.title} — ${q} added TTFB ${chat} < ${portkey}`,
      pass: p ? c[q] < p[q] : undefined,
      detail: p ? `${ms(c[q])} vs ${ms(p[q])} ms` : `${portkey} not measured in this scenario`,
    });
  }
  return out;
}

/** Decimal megabytes (10^6 bytes), the unit of the RSS target. */
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
