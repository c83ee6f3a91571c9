// Server-side multi-turn chat: the app sends only the new messages and names the conversation; its history
// goes in front of them, and the answer is appended once the model finished. A conversation id names a
// conversation of the caller's tenant only: another tenant naming the same id has a conversation of its own.
import type { ChatDeps } from './chat-deps.ts';
import type { Conversation, ConversationTurn, StoredMessage } from '../../ports/conversation-store.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import type { CompletionMessage } from '../../ports/chat-upstream.ts';
import type { ChatMessage } from './chat-request.ts';
import { summariseTurns, summaryMessage } from './conversation-summary.ts';
import { findModel } from '../../catalog/catalog.ts';
import type { ChatUsage } from '../../ports/chat-upstream.ts';
import { chatBill } from './chat-billing.ts';
import { updateConversation } from './conversation-update.ts';
import { isAbort } from './upstream-error.ts';

// past MAX_TURNS turns, the oldest SUMMARISED_TURNS are folded into one summary (a system message), so the
// input stays bounded
export const MAX_TURNS = 20;
export const SUMMARISED_TURNS = 15;

type ConversationDeps = Pick<ChatDeps, 'conversations' | 'clock' | 'ids' | 'logger' | 'dashscope' | 'config'> & Partial<Pick<ChatDeps, 'guard'>>;

/** A conversation as a request names it: the id the app chose, within the caller's tenant. */
export interface ConversationRef {
  tenant: string;
  id: string;
}

/**
 * Where the conversation is stored: `<tenant>/<id>`. Tenant names hold no `/` (TENANT_NAME_PATTERN), so two
 * tenants' keys never meet, and none meets a key from before conversations had tenants (ids hold no `/`).
 */
export const conversationKey = (ref: ConversationRef): string => `${ref.tenant}/${ref.id}`;

export interface ConversationSession {
  /** The id the app chose (not the store key). */
  id: string;
  /** What goes upstream: the request's system messages, the summary, the kept turns, the new messages. */
  messages: ChatMessage[];
  /** Turns of history in `messages` (after any summarising). */
  historyTurns: number;
  /** Appends the new messages and the answer as one turn; re-applied on top of concurrent writers. */
  save(answer: CompletionMessage): Promise<void>;
}

function toStored(m: ChatMessage): StoredMessage {
  const out: StoredMessage = { role: m.role as StoredMessage['role'], content: (m.content ?? null) as StoredMessage['content'] };
  if (typeof m.name === 'string') out.name = m.name;
  if (m.role === 'assistant' && m.tool_calls?.length) out.tool_calls = m.tool_calls;
  if (m.role === 'tool') out.tool_call_id = m.tool_call_id;
  return out;
}

function fromStored(m: StoredMessage): ChatMessage {
  return m as unknown as ChatMessage;
}

const isSystem = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';

/** The summary call is billed to the conversation's tenant like any chat call (not admitted: it is the layer's). */
async function billSummary(deps: ConversationDeps, tenant: string, usage: ChatUsage | undefined, dashscopeRequestId: string | undefined): Promise<void> {
  if (!deps.guard || !usage || !dashscopeRequestId) return;
  const model = findModel(deps.config.CHAT_SUMMARY_MODEL);
  if (model?.kind !== 'chat') return;
  try {
    await deps.guard.settle(`chat:${dashscopeRequestId}`, tenant, model.id, chatBill(model, usage, 0, dashscopeRequestId));
  } catch (e) {
    deps.logger.error('conversation summary cost not recorded', { tenant, dashscopeRequestId, error: e });
  }
}

/** Summarises the oldest turns and writes the shorter history; keeps the long one if summarising fails. */
async function compact(deps: ConversationDeps, tenant: string, conv: Conversation, signal: CallerSignal): Promise<Conversation> {
  const folded = conv.turns.slice(0, SUMMARISED_TURNS);
  let summary: string;
  try {
    const r = await summariseTurns(deps, conv.summary, folded, signal);
    summary = r.summary;
    deps.logger.info('conversation summarised', {
      conversationId: conv.id,
      turns: folded.length,
      summaryModel: deps.config.CHAT_SUMMARY_MODEL,
      dashscopeRequestId: r.dashscopeRequestId,
      promptTokens: r.usage?.prompt_tokens,
      completionTokens: r.usage?.completion_tokens,
    });
    await billSummary(deps, tenant, r.usage, r.dashscopeRequestId);
  } catch (e) {
    if (isAbort(e, signal)) throw e;
    deps.logger.warn('conversation summary failed; history kept whole', { conversationId: conv.id, error: e });
    return conv;
  }
  const ids = folded.map((t) => t.id).join('\n');
  const after = await updateConversation(
    deps,
    conv.id,
    (cur) => {
      // Another request may have summarised these turns already: then there is nothing left to do.
      if (!cur || cur.turns.length <= MAX_TURNS || cur.turns.slice(0, SUMMARISED_TURNS).map((t) => t.id).join('\n') !== ids) return undefined;
      return { summary, turns: cur.turns.slice(SUMMARISED_TURNS) };
    },
    conv,
  );
  return after ?? conv;
}

/** Where the new turn goes: by default appended to the conversation read. */
export interface SaveOptions {
  /** Save the history read plus the new turn as this conversation, which must not exist yet (create-once). */
  saveAs?: ConversationRef;
  /** Save nothing. */
  readOnly?: boolean;
}

export async function openConversation(
  deps: ConversationDeps,
  ref: ConversationRef,
  requestMessages: readonly ChatMessage[],
  signal: CallerSignal,
  options: SaveOptions = {},
): Promise<ConversationSession> {
  const key = conversationKey(ref);
  let conv = await deps.conversations.get(key);
  if (conv && conv.turns.length > MAX_TURNS) conv = await compact(deps, ref.tenant, conv, signal);
  const fresh = requestMessages.filter((m) => !isSystem(m));
  const history = conv?.turns ?? [];
  const messages = [
    ...requestMessages.filter(isSystem),
    ...(conv?.summary ? [summaryMessage(conv.summary)] : []),
    ...history.flatMap((t) => t.messages.map(fromStored)),
    ...fresh,
  ];
  const known = conv ?? null;
  const target = options.saveAs ? conversationKey(options.saveAs) : key;
  return {
    id: options.saveAs?.id ?? ref.id,
    messages,
    historyTurns: history.length,
    save: async (answer) => {
      if (options.readOnly) return;
      const stored: StoredMessage = { role: 'assistant', content: answer.content };
      if (answer.tool_calls?.length) stored.tool_calls = answer.tool_calls;
      const turn: ConversationTurn = { id: deps.ids.next('turn'), at: deps.clock.now().toISOString(), messages: [...fresh.map(toStored), stored] };
      if (target !== key) {
        // a new conversation that starts as a copy of the one read (its summary, its turns) plus this turn
        const copy = { ...(conv?.summary ? { summary: conv.summary } : {}), turns: [...history, turn] };
        await updateConversation(deps, target, (cur) => (cur ? undefined : copy), null);
        return;
      }
      await updateConversation(deps, key, (cur) => ({ ...(cur?.summary ? { summary: cur.summary } : {}), turns: [...(cur?.turns ?? []), turn] }), known);
    },
  };
}
