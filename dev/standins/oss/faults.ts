// Faults the OSS stand-in injects on demand: an error answer (5xx, 503 SlowDown, any OSS code), latency,
// a write that commits and then loses its connection, a body stored short of what was sent.
export type OssOp =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'GetBucketInfo'
  | 'PutBucket'
  | 'GetBucketLifecycle'
  | 'PutBucketLifecycle'
  | 'DeleteBucketLifecycle';

export type FaultEffect =
  | { status: number; code: string; message?: string }
  | { latencyMs: number }
  /** The write commits (and notifies), then the socket is destroyed before any answer. */
  | { dropAfterCommit: true }
  /** Only the first `truncateTo` bytes of the body are stored, and the write is answered 200. */
  | { truncateTo: number };

export type FaultRule = FaultEffect & {
  op?: OssOp | OssOp[];
  /** Matches the object key (a string matches as a prefix). */
  key?: string | RegExp;
  /** How many matching requests it hits (default 1); Infinity until cleared. */
  times?: number;
};

export class Faults {
  private rules: (FaultRule & { left: number })[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The effects that hit this request, each rule's count spent. */
  take(op: OssOp, key: string): FaultEffect[] {
    const hits = this.rules.filter((r) => r.left > 0 && matchesOp(r.op, op) && matchesKey(r.key, key));
    for (const r of hits) r.left--;
    this.rules = this.rules.filter((r) => r.left > 0);
    return hits;
  }
}

const matchesOp = (want: OssOp | OssOp[] | undefined, op: OssOp): boolean => want === undefined || (Array.isArray(want) ? want.includes(op) : want === op);
const matchesKey = (want: string | RegExp | undefined, key: string): boolean =>
  want === undefined || (typeof want === 'string' ? key.startsWith(want) : want.test(key));
