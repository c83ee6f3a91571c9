// Turns the SSE events of a compatible-mode chat stream into checked `chat.completion.chunk` objects; an error
// sent inside the stream (either envelope, or `event: error`) becomes a DashScopeStreamError with its code.
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { DashScopeStreamError } from './errors.ts';
import { streamErrorOf } from './event-stream.ts';
import { chatCompletionChunkSchema } from './schemas.ts';
import type { SseEvent } from './sse.ts';

export async function* chatChunks(events: AsyncIterable<SseEvent>, requestId: string): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  for await (const event of events) {
    const data = event.data.trim();
    // stop reading at [DONE]: the answer is complete whatever the connection does next
    if (data === '[DONE]') return;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (err) {
      throw new DashScopeStreamError('invalid_chunk', 'DashScope sent a stream chunk that is not JSON', { requestId, cause: err });
    }
    const failure = streamErrorOf(event, value, requestId);
    if (failure) throw failure;
    const chunk = chatCompletionChunkSchema.safeParse(value);
    if (!chunk.success) {
      const issue = chunk.error.issues[0];
      throw new DashScopeStreamError('invalid_chunk', `DashScope sent a stream chunk of unexpected shape (${issue?.path.join('.') || 'root'}: ${issue?.message})`, {
        requestId,
      });
    }
    yield value as ChatCompletionChunk;
  }
}
