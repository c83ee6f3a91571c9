// What a use case may depend on, built once per process by a composition root (local-deps.ts here; the
// cloud root comes with the cloud adapters). Entry points receive a Deps and never build clients themselves.
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, IdGenerator } from '../ports/clock.ts';
import type { TaskStore } from '../ports/task-store.ts';
import type { EventBus } from '../ports/event-bus.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import type { ResultSource } from '../ports/result-source.ts';
import type { GuardStore } from '../ports/guard-store.ts';
import type { DashScopeClient } from '../dashscope/client.ts';
import type { FcCredentials } from '../runtime/fc-credentials.ts';

export interface Deps {
  config: Config;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  dashscope: DashScopeClient;
  tasks: TaskStore;
  events: EventBus;
  objects: ObjectStore;
  conversations: ConversationStore;
  /** DashScope's result URLs, read for persist-to-oss (RESULT_HOST_ALLOWLIST, DOWNLOAD_MAX_BYTES, DOWNLOAD_TIMEOUT_MS). */
  results: ResultSource;
  /** Rate limits, budgets and the cost ledger; optional until both composition roots build one. */
  guards?: GuardStore;
  /** The role credentials the cloud adapters sign with, updated by every invocation (cloud only). */
  credentials?: FcCredentials;
  /** Releases what the root opened (database handles, sockets). */
  close(): Promise<void>;
}
