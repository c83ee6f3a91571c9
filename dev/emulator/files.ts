// Compatible-mode file upload (`POST /compatible-mode/v1/files`, multipart), get, list and delete. Only
// metadata is kept, and whether a fine-tune file parses: a job on a bad file fails later, as on DashScope.
import { randomBytes } from 'node:crypto';
import { sendJson, type RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import { ApiError, invalidParameter } from './errors.ts';
import type { JournalRecord, JournalSink } from './journal-records.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';

export interface StoredFile {
  id: string;
  object: 'file';
  bytes: number;
  filename: string;
  purpose: string;
  status: 'processed';
  created_at: number;
  /** First line of a fine-tune JSONL that does not parse, if any. */
  badLine?: number;
  lines: number;
}

const PREFIX: Record<string, string> = { 'fine-tune': 'file-ft-', 'file-extract': 'file-fe-', batch: 'file-batch-' };

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  constructor(private readonly journal?: JournalSink) {}
  add(f: StoredFile): void {
    this.keep(f);
    this.journal?.append({ op: 'file', file: f });
  }
  private keep(f: StoredFile): void {
    if (this.files.size >= 10_000) this.files.delete(this.files.keys().next().value!);
    this.files.set(f.id, f);
  }
  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }
  delete(id: string): boolean {
    const deleted = this.files.delete(id);
    if (deleted) this.journal?.append({ op: 'file-delete', id });
    return deleted;
  }
  /** Replays one journal line (other stores' lines are ignored). */
  apply(r: JournalRecord): void {
    if (r.op === 'file') this.keep({ ...r.file });
    else if (r.op === 'file-delete') this.files.delete(r.id);
  }
  /** The whole state as journal lines (a compacted journal). */
  records(): JournalRecord[] {
    return [...this.files.values()].map((file) => ({ op: 'file', file }));
  }
  list(): StoredFile[] {
    return [...this.files.values()];
  }
  clear(): void {
    this.files.clear();
  }
}

const publicView = ({ badLine: _b, lines: _l, ...f }: StoredFile) => f;

function jsonlCheck(data: Buffer): { lines: number; badLine?: number } {
  const lines = data.toString('utf8').split(/\r?\n/).filter((l) => l.trim());
  const bad = lines.findIndex((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  return { lines: lines.length, ...(bad >= 0 ? { badLine: bad + 1 } : {}) };
}

export function uploadFile(ctx: RequestContext, env: EmulatorEnv): void {
  const boundary = boundaryOf(ctx.req.headers['content-type']);
  if (!boundary) throw invalidParameter('Content-Type must be multipart/form-data with a boundary.');
  const parts = parseMultipart(ctx.rawBody, boundary);
  const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
  const purpose = parts.find((p) => p.name === 'purpose')?.data.toString('utf8').trim();
  if (!file) throw invalidParameter('Field required: file', 'file');
  if (!purpose) throw invalidParameter('Field required: purpose', 'purpose');
  if (!PREFIX[purpose]) throw invalidParameter(`purpose must be one of: ${Object.keys(PREFIX).join(', ')}`, 'purpose');
  const stored: StoredFile = {
    id: `${PREFIX[purpose]}${randomBytes(12).toString('hex')}`,
    object: 'file',
    bytes: file.data.length,
    filename: file.filename!,
    purpose,
    status: 'processed',
    created_at: Math.floor(env.clock.nowMs() / 1000),
    ...(purpose === 'fine-tune' ? jsonlCheck(file.data) : { lines: 0 }),
  };
  env.files.add(stored);
  sendJson(ctx, 200, publicView(stored));
}

const notFound = (id: string) => new ApiError('notFound', `File not found: ${id}`);

export function getFile(ctx: RequestContext, env: EmulatorEnv): void {
  const f = env.files.get(ctx.params.id!);
  if (!f) throw notFound(ctx.params.id!);
  sendJson(ctx, 200, publicView(f));
}

export function listFiles(ctx: RequestContext, env: EmulatorEnv): void {
  sendJson(ctx, 200, { object: 'list', data: env.files.list().map(publicView), has_more: false });
}

export function deleteFile(ctx: RequestContext, env: EmulatorEnv): void {
  if (!env.files.delete(ctx.params.id!)) throw notFound(ctx.params.id!);
  sendJson(ctx, 200, { id: ctx.params.id, object: 'file', deleted: true });
}
