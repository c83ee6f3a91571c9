// Repairs DashScope's streamed tool-call deltas into OpenAI's form, where id, type and name come only on
// the first delta of a call: DashScope repeats `id: ""` (sometimes the real id) and `type` on every delta.
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
        // repeats break clients that concatenate deltas or take a new id for a new call; a later delta keeps
        // its name only when it is the first name seen for that call
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
