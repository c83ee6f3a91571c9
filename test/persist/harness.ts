// The persist use case wired to the real local adapters (folder object store, SQLite task store, in-process
// bus) in a temp dir, with helpers to seed a task and its manifest and to inspect what landed in the bucket.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LocalEventBus } from '../../shared/adapters/local-bus/local-event-bus.ts';
import { LocalFsObjectStore } from '../../shared/adapters/local-fs/local-fs-object-store.ts';
import { parseAllowlist } from '../../shared/adapters/result-download/host-allowlist.ts';
import { HttpResultSource } from '../../shared/adapters/result-download/http-result-source.ts';
import type { DownloadOptions } from '../../shared/adapters/result-download/safe-download.ts';
import { openDatabase } from '../../shared/adapters/sqlite/database.ts';
import { SqliteTaskStore } from '../../shared/adapters/sqlite/sqlite-task-store.ts';
import { manifestKey, type Manifest, type ManifestOutput } from '../../shared/domain/manifest.ts';
import type { Task, TaskStatus } from '../../shared/domain/task.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { systemClock, type Clock } from '../../shared/ports/clock.ts';
import type { ResultSource } from '../../shared/ports/result-source.ts';
import type { PersistDeps } from '../../shared/use-cases/persist/persist-result.ts';

export interface Harness {
  dir: string;
  objects: LocalFsObjectStore;
  tasks: SqliteTaskStore;
  events: LocalEventBus;
  deps: PersistDeps;
  /** Creates a task row (SUCCEEDED unless told) and writes its manifest; returns the manifest key. */
  seed(outputs: ManifestOutput[], options?: { status?: TaskStatus; taskId?: string; createdAt?: string; withoutTask?: boolean }): Promise<{ taskId: string; key: string }>;
  /** Keys under `media/`, sorted. */
  mediaKeys(): string[];
  /** Files left in the store's temp area (partial writes). */
  tmpFiles(): string[];
  task(id: string): Promise<Task>;
  sha256Of(key: string): Promise<string>;
  eventsOf(type: string, taskId: string): number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  allowlist?: string[];
  clock?: Clock;
  /** Overrides of the real downloader's options (resolver, size cap, deadline). */
  download?: Partial<DownloadOptions>;
  /** Another ResultSource in place of the real downloader (the `allowlist` and `download` options then do nothing). */
  results?: ResultSource;
}

let seq = 0;

export function createHarness(options: HarnessOptions = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'persist-'));
  const clock = options.clock ?? systemClock;
  const objects = new LocalFsObjectStore({ dataDir: dir, publicBaseUrl: () => 'http://127.0.0.1:1', clock });
  const db = openDatabase(':memory:');
  const tasks = new SqliteTaskStore(db);
  const events = new LocalEventBus();
  const deps: PersistDeps = {
    tasks,
    events,
    clock,
    objects,
    logger: silentLogger,
    results: options.results ?? new HttpResultSource({ allowlist: parseAllowlist(options.allowlist ?? ['*.aliyuncs.com']), maxBytes: 10 * 1024 * 1024, timeoutMs: 5_000, ...options.download }),
    notReadyWaitMs: 100,
  };
  const walk = (root: string): string[] =>
    existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => relative(root, join(d.parentPath, d.name))) : [];
  return {
    dir,
    objects,
    tasks,
    events,
    deps,
    async seed(outputs, o = {}) {
      seq += 1;
      const taskId = o.taskId ?? `task_persist_${process.pid}_${seq}`;
      const now = clock.now().toISOString();
      const task: Task = {
        id: taskId,
        tenant: 'acme',
        type: 'text-to-image',
        model: 'wanx2.1-t2i-turbo',
        status: o.status ?? 'SUCCEEDED',
        input: { prompt: 'a red fox' },
        parameters: {},
        outputs: outputs.map((out) => ('url' in out ? { index: out.index, sourceUrl: out.url, sourceExpiresAt: out.expiresAt } : { index: out.index, error: out.error })),
        pollCount: 3,
        version: 1,
        createdAt: o.createdAt ?? '2030-03-04T05:06:07.000Z',
        updatedAt: now,
      };
      if (!o.withoutTask) await tasks.create(task);
      const manifest: Manifest = { version: 1, taskId, type: 'text-to-image', model: task.model, succeededAt: now, outputs };
      const key = manifestKey(taskId);
      await objects.put(key, Buffer.from(JSON.stringify(manifest)), { contentType: 'application/json' });
      return { taskId, key };
    },
    mediaKeys: () => walk(join(dir, 'oss', 'media')).map((k) => `media/${k}`).sort(),
    tmpFiles: () => walk(join(dir, 'oss-tmp')),
    async task(id) {
      const t = await tasks.get(id);
      if (!t) throw new Error(`no task ${id}`);
      return t;
    },
    async sha256Of(key) {
      const { body } = await objects.get(key);
      const h = createHash('sha256');
      for await (const c of body) h.update(c as Buffer);
      return h.digest('hex');
    },
    // distinct event ids: what a consumer that drops duplicates (on source + id) sees
    eventsOf: (type, taskId) => new Set(events.history().filter((e) => e.type === type && e.subject === taskId).map((e) => e.id)).size,
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
