// The cost ledger's entries: one per billed call (chat, embeddings, speech) or finished task, in micro-CNY
// (1 CNY = 1,000,000) so sums are exact integers. Pure data, no I/O.

export type LedgerKind = 'chat' | 'embedding' | 'speech' | 'task';

export interface LedgerEntry {
  /**
   * What was billed, and so the entry's identity: `chat:<requestId>`, `embedding:<requestId>`,
   * `task:<taskId>`… Recording the same id twice records it once.
   */
  id: string;
  tenant: string;
  model: string;
  kind: LedgerKind;
  /** When the cost was incurred (ISO 8601, UTC). */
  at: string;
  /** List-price cost in micro-CNY (an integer ≥ 0). */
  costMicros: number;
  /** What was counted: prompt_tokens, completion_tokens, reasoning_tokens, images, seconds, characters… */
  units: Record<string, number>;
  /** DashScope's request id or the task id, for support. */
  ref?: string;
}

export const MICROS_PER_CNY = 1_000_000;

export const toMicros = (cny: number): number => Math.round(cny * MICROS_PER_CNY);
export const fromMicros = (micros: number): number => micros / MICROS_PER_CNY;
