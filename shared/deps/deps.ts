// What a use case may depend on, built once per process by a composition root (local-deps.ts here; the
// cloud root comes with the cloud adapters). Entry points receive a Deps and never build clients themselves.
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, IdGenerator } from '../ports/clock.ts';
import type { TaskStore } from '../ports/task-store.ts';
import type { EventBus } from '../ports/event-bus.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import type { GuardStore } from '../ports/guard-store.ts';
import type { KeyStore } from '../ports/key-store.ts';
import type { PipelineStore } from '../ports/pipeline-store.ts';
import type { ResultSource } from '../ports/result-source.ts';
import type { DashScopeClient } from '../dashscope/client.ts';
import type { FineTuneUpstream } from '../ports/fine-tune-upstream.ts';
import type { FcCredentials } from '../runtime/fc-credentials.ts';

export interface Deps {
  config: Config;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  dashscope: DashScopeClient;
  /** DashScope's files and fine-tune jobs (the same client), for `fine-tune` tasks. */
  fineTunes?: FineTuneUpstream;
  tasks: TaskStore;
  events: EventBus;
  objects: ObjectStore;
  conversations: ConversationStore;
  /** The pipelines (topic → article, illustration, narration) and their steps. */
  pipelines: PipelineStore;
  /** Rate-limit and budget counters, reservations, the cost ledger and alert claims, shared by every instance. */
  guards: GuardStore;
  /** The client keys (stored as HMAC digests under clientKeySecret). */
  keys: KeyStore;
  /**
   * The server secret client keys are stored under: CLIENT_KEY_SECRET, or locally a secret made once into
   * DATA_DIR/client-key-secret. Asked when first needed; throws a ConfigError naming CLIENT_KEY_SECRET in cloud
   * mode when it is not set.
   */
  clientKeySecret(): string;
  /** DashScope's result URLs, read for persist-to-oss (RESULT_HOST_ALLOWLIST, DOWNLOAD_MAX_BYTES, DOWNLOAD_TIMEOUT_MS). */
  results: ResultSource;
  /** The role credentials the cloud adapters sign with, updated by every invocation (cloud only). */
  credentials?: FcCredentials;
  /** Releases what the root opened (database handles, sockets). */
  close(): Promise<void>;
}
