// What the chat use cases depend on: the chat upstream and the conversation store (ports), the clock, ids,
// the logger and the few settings they read. A process's Deps fits it as it is.
import type { Config } from '../../config/config.ts';
import type { Logger } from '../../log/logger.ts';
import type { ChatUpstream } from '../../ports/chat-upstream.ts';
import type { Clock, IdGenerator } from '../../ports/clock.ts';
import type { ConversationStore } from '../../ports/conversation-store.ts';
import type { Guard } from '../guards/guard.ts';

export interface ChatDeps {
  config: Pick<Config, 'CHAT_SUMMARY_MODEL' | 'EMBEDDINGS_MAX_INPUTS' | 'DASHSCOPE_TIMEOUT_MS' | 'DASHSCOPE_MAX_RETRIES'> & Partial<Pick<Config, 'CHAT_THINKING_CONFLICT'>>;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  dashscope: ChatUpstream;
  conversations: ConversationStore;
  /** Rate limits, budgets and the ledger, built once per process (createGuard). */
  guard: Guard;
}
