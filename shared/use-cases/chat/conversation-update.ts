// The one way a conversation changes: read, apply a change, write conditionally on the version read; a
// writer that loses re-reads and re-applies its change, so concurrent requests never lose a turn.
import {
  ConversationConflictError,
  type Conversation,
  type ConversationContent,
  type ConversationStore,
} from '../../ports/conversation-store.ts';
import type { Clock } from '../../ports/clock.ts';
import { ConversationBusyError } from './chat-errors.ts';

/** A change: the new content given the current state, or undefined when there is nothing (left) to do. */
export type ConversationChange = (current: Conversation | undefined) => ConversationContent | undefined;

const MAX_ATTEMPTS = 20;

/**
 * Applies `change` until a write wins. `known` is the state the caller already read (saves one read on the
 * first attempt; a stale guess only costs a conflict). Returns the state after the change.
 */
export async function updateConversation(
  deps: { conversations: ConversationStore; clock: Clock },
  id: string,
  change: ConversationChange,
  known?: Conversation | null,
): Promise<Conversation | undefined> {
  let current = known === undefined ? await deps.conversations.get(id) : (known ?? undefined);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const next = change(current);
    if (!next) return current;
    try {
      return await deps.conversations.put(id, current?.version ?? 0, next, deps.clock.now());
    } catch (e) {
      if (!(e instanceof ConversationConflictError)) throw e;
      current = await deps.conversations.get(id);
    }
  }
  throw new ConversationBusyError(id);
}
