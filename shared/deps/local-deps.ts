// The local composition root: SQLite, a folder for OSS and an in-process bus under DATA_DIR, the DashScope
// client and the result downloader. No function bundle may import it (it drags in the native SQLite module).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalEventBus } from '../adapters/local-bus/local-event-bus.ts';
import { LocalFsObjectStore } from '../adapters/local-fs/local-fs-object-store.ts';
import { downloadOptionsFromConfig } from '../adapters/result-download/download-options.ts';
import { HttpResultSource } from '../adapters/result-download/http-result-source.ts';
import { readOrCreateSecretFile } from '../adapters/local-fs/secret-file.ts';
import { openDatabase } from '../adapters/sqlite/database.ts';
import { SqliteConversationStore } from '../adapters/sqlite/sqlite-conversation-store.ts';
import { SqliteGuardStore } from '../adapters/sqlite/sqlite-guard-store.ts';
import { SqliteKeyStore } from '../adapters/sqlite/sqlite-key-store.ts';
import { SqlitePipelineStore } from '../adapters/sqlite/sqlite-pipeline-store.ts';
import { SqliteTaskStore } from '../adapters/sqlite/sqlite-task-store.ts';
import type { Config } from '../config/config.ts';
import { createDashScopeClient } from '../dashscope/client.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { systemClock, uuidIds, type Clock } from '../ports/clock.ts';
import type { Deps } from './deps.ts';
import { registerLocalRoot } from './get-deps.ts';

export interface LocalDepsOptions {
  logger?: Logger;
  clock?: Clock;
  /** Origin that serves `/_oss/*` (the runtime's URL, known once it listens); default PUBLIC_BASE_URL or 127.0.0.1:listenPort. */
  publicBaseUrl?: () => string;
}

/** Deps with the local adapters' extra surface (bus subscriptions, object notices) visible to the runtime. */
export interface LocalDeps extends Deps {
  events: LocalEventBus;
  objects: LocalFsObjectStore;
}

/** Local mode's client key secret: CLIENT_KEY_SECRET, else DATA_DIR/client-key-secret (made on first use, mode 0600). */
export function localClientKeySecret(config: Pick<Config, 'CLIENT_KEY_SECRET' | 'DATA_DIR'>): () => string {
  let secret = config.CLIENT_KEY_SECRET;
  return () => (secret ??= readOrCreateSecretFile(join(config.DATA_DIR, 'client-key-secret')));
}

export function createLocalDeps(config: Config, options: LocalDepsOptions = {}): LocalDeps {
  mkdirSync(config.DATA_DIR, { recursive: true });
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  // Before anything is opened: a malformed RESULT_HOST_ALLOWLIST entry stops the process here, naming it.
  const results = new HttpResultSource(downloadOptionsFromConfig(config));
  const db = openDatabase(join(config.DATA_DIR, 'local.db'));
  const publicBaseUrl = options.publicBaseUrl ?? (() => config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.listenPort}`);
  let closed = false;
  const dashscope = createDashScopeClient(config);
  const guards = new SqliteGuardStore(db);
  return {
    config,
    logger,
    clock,
    ids: uuidIds,
    dashscope,
    fineTunes: dashscope,
    tasks: new SqliteTaskStore(db),
    conversations: new SqliteConversationStore(db),
    pipelines: new SqlitePipelineStore(db),
    guards,
    keys: new SqliteKeyStore(db),
    clientKeySecret: localClientKeySecret(config),
    events: new LocalEventBus({
      file: join(config.DATA_DIR, 'events.jsonl'),
      onDeliveryError: (error, event) => logger.error('event delivery failed', { eventId: event.id, eventType: event.type, error }),
    }),
    objects: new LocalFsObjectStore({ dataDir: config.DATA_DIR, publicBaseUrl, clock }),
    results,
    close: async () => {
      if (closed) return;
      closed = true;
      // settlements written in batches on the next turn of the event loop: written now, before the file closes
      guards.flushSettlements();
      db.close();
    },
  };
}

// A process that has loaded the local root can build local deps on demand through getDeps().
registerLocalRoot(createLocalDeps);
