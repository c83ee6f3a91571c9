// What the emulator received: one entry per request, capped (oldest dropped) so long benches stay bounded.
// Times are real epoch ms (comparable with the client's Date.now()), not emulator-clock time.

export interface RequestLogEntry {
  id: number;
  /** The x-request-id sent back (UUID). */
  requestId: string;
  method: string;
  path: string;
  model: string | null;
  /** HTTP status of the response head, or null when none was sent (reset, reset-after-commit, hang, client gone). */
  status: number | null;
  startedAt: number;
  endedAt: number | null;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
  abortedAt: number | null;
  /** Kinds of the faults applied to this request. */
  faults: string[];
  /** The usage the answer reported (chat, embeddings), as billed upstream; null when none. */
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; reasoning_tokens?: number } | null;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private nextId = 1;
  /** Checks of those waiting in `until`, run as each request starts and ends. */
  private readonly watchers = new Set<() => void>();

  constructor(
    private readonly cap: number,
    private readonly enabled: boolean,
  ) {}

  start(requestId: string, method: string, path: string): RequestLogEntry {
    const entry: RequestLogEntry = {
      id: this.nextId++, requestId, method, path, model: null, status: null,
      startedAt: Date.now(), endedAt: null, aborted: false, abortedAt: null, faults: [], usage: null,
    };
    if (!this.enabled) return entry;
    this.entries.push(entry);
    // Trim in batches so the cost per request stays constant.
    if (this.entries.length > this.cap + Math.max(1, this.cap >> 4)) this.entries.splice(0, this.entries.length - this.cap);
    this.changed();
    return entry;
  }

  /** An entry was filled in (its request ended). */
  changed(): void {
    for (const check of this.watchers) check();
  }

  /** Resolves once `cond` holds, checked now and whenever a request starts or ends: a wait without polling. */
  until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!cond()) return;
        this.watchers.delete(check);
        resolve();
      };
      this.watchers.add(check);
    });
  }

  list(): RequestLogEntry[] {
    return this.entries.length > this.cap ? this.entries.slice(-this.cap) : this.entries.slice();
  }

  clear(): void {
    this.entries = [];
  }
}
