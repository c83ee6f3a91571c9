// Compatible-mode chat (`/compatible-mode/v1/chat/completions`) without the openai SDK: undici `request` on
// the client's pooled Agent, node streams and our SSE parser. Chat is chat-stream's hot path, and there the
// SDK's request path over fetch (web Request/Response objects, web streams) cost about as much per request as
// a whole bare proxy hop: measured with bench/chat-overhead.ts, chat-stream's added time to first byte was
// ~2.4x a bare Node proxy's through the SDK and ~1.2x without it. Everything else behaves as on every other
// call: the shared transport's retries (only before the response head), deadlines, typed errors from either
// envelope, request ids and headers. Embeddings and file uploads still go through the SDK (compatible.ts).
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CallOptions } from './call-options.ts';
import { chatChunks, pumpRelayChunks, type RelayStream } from './chat-chunks.ts';
import type { NativeTransport } from './native-http.ts';
import { chatCompletionSchema } from './schemas.ts';

export class CompatChatHttp {
  /**
   * @param path the chat completions path under the configured origin (keeps a path prefix of the origin,
   *   as the SDK's base URL did)
   */
  constructor(
    private readonly http: NativeTransport,
    private readonly path: string,
  ) {}

  async chat(body: object, opts: CallOptions): Promise<{ completion: ChatCompletion; requestId: string }> {
    const { data, requestId } = await this.http.json({ operation: 'chat', method: 'POST', path: this.path, json: { ...body, stream: false } }, chatCompletionSchema, opts);
    return { completion: data as unknown as ChatCompletion, requestId: requestId || requestIdFromChatId(data.id) };
  }

  /** Resolves once the response head arrived (retries happen only before that). */
  async chatStream(body: object, opts: CallOptions): Promise<{ requestId: string; stream: AsyncIterable<ChatCompletionChunk> }> {
    const res = await this.open(body, opts);
    return { requestId: res.requestId, stream: chatChunks(res.body, res.deadline, res.requestId) };
  }

  /** chatStream for relaying: the chunks each read completed, pushed, plain text chunks unparsed (RelayChunk). */
  async chatRelay(body: object, opts: CallOptions): Promise<{ requestId: string; stream: RelayStream }> {
    const { body: stream, deadline, requestId } = await this.open(body, opts);
    return { requestId, stream: { pump: (onRead) => pumpRelayChunks(stream, deadline, requestId, onRead) } };
  }

  private open(body: object, opts: CallOptions) {
    // a body that already says stream: true (chat-stream's always does) is sent as it is, not copied
    const json = (body as { stream?: unknown }).stream === true ? body : { ...body, stream: true };
    return this.http.open({ operation: 'chatStream', method: 'POST', path: this.path, json }, opts);
  }
}

/** Compat chat ids are `chatcmpl-<request id>`. */
function requestIdFromChatId(id: string | undefined): string {
  return id?.startsWith('chatcmpl-') ? id.slice('chatcmpl-'.length) : '';
}
