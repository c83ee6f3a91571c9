// Percentiles and summaries for the benches: nearest-rank percentiles over raw samples (no interpolation,
// so every figure printed is a latency that was actually observed).

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((q / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : Number.NaN;
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean,
  };
}

/** Formats milliseconds for a table cell: 2 decimals below 10 ms, 1 below 1 s, whole numbers above. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a < 10 ? x.toFixed(2) : a < 1000 ? x.toFixed(1) : x.toFixed(0);
}

/** Pads cells into aligned columns; the first column is left-aligned, the rest right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/**
 * The median of per-round differences b − a, over the rounds both have a sample in (samples carry their round):
 * what one target adds to the other measured side by side, with drift over the run (load, frequency) taken out
 * of each pair. NaN when no round has both.
 */
export function pairedMedian(a: readonly { round?: number; totalMs: number }[], b: readonly { round?: number; totalMs: number }[]): number {
  const byRound = new Map<number, number>();
  for (const s of a) if (s.round !== undefined) byRound.set(s.round, s.totalMs);
  const diffs: number[] = [];
  for (const s of b) {
    const x = s.round === undefined ? undefined : byRound.get(s.round);
    if (x !== undefined) diffs.push(s.totalMs - x);
  }
  return percentile(diffs.sort((p, q) => p - q), 50);
}
