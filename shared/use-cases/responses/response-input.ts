// A Responses input (a string, or messages and items) as chat messages: function calls join the assistant
// message before them, their outputs become tool messages, reasoning is left out (Qwen takes none back) and an
// item_reference is looked up in the stored response its id names.
import type { CompletionMessage, CompletionToolCall } from '../../ports/chat-upstream.ts';
import type { ChatMessage } from '../chat/chat-request.ts';
import { LimitExceededError } from '../../validation/request-errors.ts';
import { parseItemId } from './response-ids.ts';
import { ResponseNotFoundError } from './response-errors.ts';
import type { InputItem, ResponsesRequest } from './responses-request.ts';

/** The assistant's answer of a stored response, or undefined when the caller has no such response. */
/** Each stored response an input refers to costs a read: a bound on them keeps one request's reads bounded. */
export const MAX_REFERENCED_RESPONSES = 64;

export type StoredAnswerLookup = (responseId: string) => Promise<CompletionMessage | undefined>;

type Part = Extract<Extract<InputItem, { role: string }>['content'], unknown[]>[number];
type ChatPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } };

function chatPart(p: Part): ChatPart {
  switch (p.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: p.text };
    case 'refusal':
      return { type: 'text', text: p.refusal };
    case 'input_image':
      return { type: 'image_url', image_url: { url: p.image_url, ...(p.detail && p.detail !== 'auto' ? { detail: p.detail } : {}) } };
  }
}

/** Text alone travels as a string (what every DashScope model takes); images keep the parts. */
function chatContent(content: string | Part[]): string | ChatPart[] {
  if (typeof content === 'string') return content;
  const parts = content.map(chatPart);
  return parts.every((p) => p.type === 'text') ? parts.map((p) => (p as { text: string }).text).join('') : parts;
}

const textOf = (content: string | Part[]): string => {
  const c = chatContent(content);
  return typeof c === 'string' ? c : c.map((p) => (p.type === 'text' ? p.text : '')).join('');
};

export async function toChatMessages(input: ResponsesRequest['input'], lookup: StoredAnswerLookup): Promise<ChatMessage[]> {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const out: ChatMessage[] = [];
  // the assistant message that function calls coming next join (one message per assistant turn upstream)
  let open: (ChatMessage & { role: 'assistant' }) | undefined;
  const addCall = (call: CompletionToolCall) => {
    if (!open) out.push((open = { role: 'assistant', content: null }));
    open.tool_calls = [...(open.tool_calls ?? []), { id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }];
  };
  const answers = new Map<string, CompletionMessage | undefined>();
  const answerOf = async (responseId: string, param: string) => {
    if (!answers.has(responseId)) {
      if (answers.size >= MAX_REFERENCED_RESPONSES) {
        throw new LimitExceededError('too_many_item_references', `input refers to items of more than ${MAX_REFERENCED_RESPONSES} responses; send the items themselves`, param);
      }
      answers.set(responseId, await lookup(responseId));
    }
    return answers.get(responseId);
  };

  for (const [i, item] of input.entries()) {
    if (!('type' in item) || item.type === undefined || item.type === 'message') {
      const m = item as Extract<InputItem, { role: string }>;
      if (m.role === 'assistant') {
        out.push((open = { role: 'assistant', content: textOf(m.content) }));
        continue;
      }
      open = undefined;
      out.push({ role: m.role, content: chatContent(m.content) } as ChatMessage);
      continue;
    }
    switch (item.type) {
      case 'function_call':
        addCall({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
        break;
      case 'function_call_output':
        open = undefined;
        out.push({ role: 'tool', tool_call_id: item.call_id, content: textOf(item.output) });
        break;
      case 'reasoning':
        break;
      case 'item_reference': {
        const ref = parseItemId(item.id);
        const answer = ref ? await answerOf(ref.responseId, `input.${i}.id`) : undefined;
        if (!ref || !answer) throw new ResponseNotFoundError('item', item.id, `input.${i}.id`);
        if (ref.kind === 'reasoning') break;
        if (ref.kind === 'message') {
          if (answer.content === null) throw new ResponseNotFoundError('item', item.id, `input.${i}.id`);
          out.push((open = { role: 'assistant', content: answer.content }));
          break;
        }
        const call = answer.tool_calls?.[ref.index];
        if (!call) throw new ResponseNotFoundError('item', item.id, `input.${i}.id`);
        addCall(call);
        break;
      }
    }
  }
  return out;
}
