// Faults the EventBridge stand-in injects on demand: per-entry failures, refused requests (5xx,
// throttling), latency, and a request accepted and then its connection dropped.
import { z } from 'zod';

const times = z.union([z.number().int().positive(), z.literal('always')]).default(1);

export const faultSchema = z.discriminatedUnion('kind', [
  /** The listed event ids fail with ErrorCode in the EntryList (a partial failure); the rest are accepted. */
  z.object({ kind: z.literal('fail-entries'), ids: z.array(z.string()).min(1), code: z.string().default('InternalError'), message: z.string().default('stand-in: entry failed'), times }),
  /** The whole request is refused with this status and error code (e.g. 500 InternalError, 429 TooManyRequests). */
  z.object({ kind: z.literal('status'), status: z.number().int().min(400).max(599), code: z.string(), message: z.string().default('stand-in: injected failure'), times }),
  /** The answer waits this long (after the body was read). */
  z.object({ kind: z.literal('latency'), ms: z.number().int().nonnegative(), times }),
  /** The events are accepted and recorded, then the connection is destroyed before any answer. */
  z.object({ kind: z.literal('drop-after-accept'), times }),
]);

export type Fault = z.input<typeof faultSchema>;
type Armed = z.output<typeof faultSchema>;

/** Armed faults, each used up by the requests it applies to (`times`), oldest first. */
export class FaultQueue {
  #faults: Armed[] = [];

  add(fault: Fault): void {
    this.#faults.push(faultSchema.parse(fault));
  }

  clear(): void {
    this.#faults = [];
  }

  /** Takes the first armed fault of `kind` that applies (for fail-entries: one naming an id in the request). */
  take<K extends Armed['kind']>(kind: K, eventIds: readonly string[] = []): Extract<Armed, { kind: K }> | undefined {
    const i = this.#faults.findIndex((f) => f.kind === kind && (f.kind !== 'fail-entries' || f.ids.some((id) => eventIds.includes(id))));
    if (i < 0) return undefined;
    const fault = this.#faults[i]!;
    if (fault.times !== 'always') {
      if (fault.times <= 1) this.#faults.splice(i, 1);
      else this.#faults[i] = { ...fault, times: fault.times - 1 };
    }
    return fault as Extract<Armed, { kind: K }>;
  }
}
