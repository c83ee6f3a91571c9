// Folds the oldest turns of a conversation (and the summary before them) into one short summary, written by a
// cheap model, so that a long conversation's input stays bounded.
import { findModel } from '../../catalog/catalog.ts';
import type { ChatDeps } from './chat-deps.ts';
import type { ConversationTurn, StoredMessage } from '../../ports/conversation-store.ts';
import type { ChatUsage } from '../../ports/chat-upstream.ts';
import { contentText } from './chat-request.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';

/** Bounds the summariser's own input: a huge pasted document is cut, not replayed in full. */
const MAX_CHARS_PER_MESSAGE = 4_000;
const SUMMARY_MAX_TOKENS = 1_024;

const INSTRUCTIONS =
  'You maintain the memory of a conversation between a user and an assistant. Write a concise summary of it in ' +
  'the language of the conversation: keep facts, names, numbers, decisions, preferences the user stated and ' +
  'questions still open; drop pleasantries. Write the summary only, without a preamble.';

/** How the summary is put in front of the remaining turns, as one system message. */
export function summaryMessage(summary: string): { role: 'system'; content: string } {
  return { role: 'system', content: `Summary of the earlier part of this conversation:\n${summary}` };
}

function line(m: StoredMessage): string {
  let text = contentText(m.content);
  if (m.tool_calls?.length) {
    const calls = m.tool_calls.map((c) => {
      const f = (c as { function?: { name?: string; arguments?: string } }).function;
      return `${f?.name ?? 'tool'}(${f?.arguments ?? ''})`;
    });
    text = `${text}${text ? ' ' : ''}[called ${calls.join(', ')}]`;
  }
  if (text.length > MAX_CHARS_PER_MESSAGE) text = `${text.slice(0, MAX_CHARS_PER_MESSAGE)} […]`;
  return `${m.role === 'tool' ? 'tool result' : m.role}: ${text}`;
}

export function transcript(previousSummary: string | undefined, turns: readonly ConversationTurn[]): string {
  const parts = previousSummary ? [`Summary so far:\n${previousSummary}`, ''] : [];
  parts.push('Conversation:', ...turns.flatMap((t) => t.messages.map(line)));
  return parts.join('\n');
}

export interface SummaryResult {
  summary: string;
  usage?: ChatUsage;
  dashscopeRequestId: string;
}

export async function summariseTurns(
  deps: Pick<ChatDeps, 'dashscope' | 'config'>,
  previousSummary: string | undefined,
  turns: readonly ConversationTurn[],
  signal: CallerSignal,
): Promise<SummaryResult> {
  const model = deps.config.CHAT_SUMMARY_MODEL;
  const m = findModel(model);
  const thinkingSwitch = m?.kind === 'chat' && (m.thinking === 'optional' || m.thinking === 'default-on');
  const { completion, requestId } = await deps.dashscope.chat(
    {
      model,
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: transcript(previousSummary, turns) },
      ],
      max_tokens: SUMMARY_MAX_TOKENS,
      stream: false,
      ...(thinkingSwitch ? { enable_thinking: false } : {}),
    },
    { signal },
  );
  const summary = completion.choices[0]?.message.content?.trim();
  if (!summary) throw new Error(`summary model '${model}' answered no text`);
  return { summary, usage: (completion.usage as ChatUsage | null | undefined) ?? undefined, dashscopeRequestId: requestId };
}
