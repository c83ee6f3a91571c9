// Repairs DashScope's streamed tool-call deltas into OpenAI's form. DashScope repeats `id: ""` (sometimes the
// real id) and `type` on every delta of a call; OpenAI sends id, type and name only on the first delta of an
// index. Clients that merge deltas by concatenation or treat a new id as a new call then break, so the first
// delta of each (choice, index) keeps its id (one is made up if missing) and later deltas lose id and type,
// and their name unless it is the first name seen for that call.
import { randomBytes } from 'node:crypto';
import type { ChatChunk } from '../../ports/chat-upstream.ts';

/** Returns true when it changed the chunk. */
export type ToolCallFixer = (chunk: ChatChunk) => boolean;

export function createToolCallFixer(newId: () => string = () => `call_${randomBytes(12).toString('hex')}`): ToolCallFixer {
  /** (choice, index) → whether the call's name was sent already. */
  const named = new Map<number, boolean>();
  return (chunk) => {
    let changed = false;
    for (const choice of chunk.choices) {
      const calls = choice.delta?.tool_calls;
      if (!calls) continue;
      changed = true;
      for (const call of calls) {
        const key = choice.index * 65_536 + call.index;
        const hasName = Boolean(call.function?.name);
        const sent = named.get(key);
        if (sent === undefined) {
          named.set(key, hasName);
          if (!call.id) call.id = newId();
          if (!call.type) call.type = 'function';
          if (call.function && !hasName) delete call.function.name;
          continue;
        }
        delete call.id;
        delete call.type;
        if (!call.function) continue;
        if (hasName && !sent) named.set(key, true);
        else delete call.function.name;
      }
    }
    return changed;
  };
}
