// The answer in OpenAI's shape where DashScope's differs: a tool-calling message's content is null, a
// non-streamed tool call has no `index`, every streamed choice has a finish_reason, usage only when asked for.
import type { ChatChunk, ChatCompletion } from '../../ports/chat-upstream.ts';

/** Puts a non-streamed completion in OpenAI's shape, in place (DashScope: `content: ""` and `index` on each call). */
export function completionForClient(completion: ChatCompletion): ChatCompletion {
  for (const choice of completion.choices) {
    const m = choice.message;
    if (!m.tool_calls?.length) continue;
    if (m.content === '') m.content = null;
    for (const call of m.tool_calls) delete (call as { index?: unknown }).index;
  }
  return completion;
}

/** Gives every choice of a chunk a finish_reason (null until its end), as OpenAI's chunks have; true when it changed one. */
export function completeChoices(chunk: ChatChunk): boolean {
  let changed = false;
  for (const c of chunk.choices) {
    if (c.finish_reason === undefined) {
      c.finish_reason = null;
      changed = true;
    }
  }
  return changed;
}

/**
 * A chunk's text lacks a finish_reason key (only choice objects carry one). Inside generated text every quote is
 * escaped, so the key's spelling with its quotes cannot come from there.
 */
export const lacksFinishReason = (json: string): boolean => !json.includes('"finish_reason"');

const NULL_USAGE = /,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,/;

/**
 * A chunk's text without its `"usage": null` (DashScope writes it on every chunk because the layer always asks for
 * usage): a client that did not ask for usage gets no usage key, as from OpenAI. The text is unchanged otherwise.
 */
export function withoutNullUsage(json: string): string {
  // DashScope's own spelling is cut by position: this runs on every chunk of a stream whose client did not ask for usage
  const at = json.indexOf(',"usage":null');
  if (at !== -1 && (json.charCodeAt(at + 13) === 44 || json.charCodeAt(at + 13) === 125)) return json.slice(0, at) + json.slice(at + 13);
  return json.includes('"usage"') ? json.replace(NULL_USAGE, '') : json;
}
