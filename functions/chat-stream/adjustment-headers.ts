// The response headers that tell a client what the layer changed to have its chat request served:
// an added JSON instruction, thinking turned off (and why), a json_schema checked by the layer.
import type { ChatAdjustments } from '../../shared/use-cases/chat/structured-output.ts';

export const JSON_INSTRUCTION_HEADER = 'x-dashscope-fc-json-instruction';
export const THINKING_HEADER = 'x-dashscope-fc-thinking';
export const JSON_SCHEMA_HEADER = 'x-dashscope-fc-json-schema';

const REASON = { json_mode: 'json-mode', forced_tool: 'forced-tool-choice' } as const;

/** Writes the adjustment headers into `headers` (the object the response head is built from). */
export function putAdjustmentHeaders(headers: Record<string, string>, a: ChatAdjustments): void {
  if (a.jsonInstruction) headers[JSON_INSTRUCTION_HEADER] = 'added';
  if (a.thinkingOff) headers[THINKING_HEADER] = `disabled; reason=${REASON[a.thinkingOff]}`;
  if (a.schema === 'upstream') headers[JSON_SCHEMA_HEADER] = 'upstream';
  else if (a.schema === 'checked') headers[JSON_SCHEMA_HEADER] = a.attempts ? `checked; attempts=${a.attempts}` : 'checked';
}
