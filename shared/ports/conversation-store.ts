// ConversationStore: server-side chat history, a running summary plus the turns since. Every write is
// conditional on the version read, so two requests on one conversation never overwrite each other's turn.

/** One message as stored (OpenAI chat message shape; content may be text or content parts). */
export interface StoredMessage {
  role: 'user' | 'assistant' | 'tool';
  content: string | unknown[] | null;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

/** One exchange: what the app sent (user or tool messages) and the assistant's answer. */
export interface ConversationTurn {
  id: string;
  messages: StoredMessage[];
  at: string;
}

export interface Conversation {
  id: string;
  /** 1 after the first write, +1 on every write. A conversation that does not exist is at version 0. */
  version: number;
  /** What the summarised (removed) turns said, if any were summarised. */
  summary?: string;
  turns: ConversationTurn[];
  createdAt: string;
  updatedAt: string;
}

/** What a write may set; id, version and times are managed by the store. */
export interface ConversationContent {
  summary?: string;
  turns: ConversationTurn[];
}

export class ConversationStoreError extends Error {
  override name = 'ConversationStoreError';
}

/** A conditional write lost: the conversation changed (or was created) since `expectedVersion` was read. */
export class ConversationConflictError extends ConversationStoreError {
  override name = 'ConversationConflictError';
  constructor(
    readonly conversationId: string,
    readonly expectedVersion: number,
  ) {
    super(`conversation ${conversationId} changed since version ${expectedVersion}`);
  }
}

export interface ConversationStore {
  /** undefined when the conversation was never written. */
  get(id: string): Promise<Conversation | undefined>;
  /**
   * Replaces summary and turns only if the conversation is still at `expectedVersion` (0 = must not exist
   * yet); returns it at version + 1 with updatedAt = now. Throws ConversationConflictError otherwise.
   */
  put(id: string, expectedVersion: number, content: ConversationContent, now: Date): Promise<Conversation>;
}
