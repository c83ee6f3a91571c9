// DashScope's OpenAI-compatible mode (/compatible-mode/v1): chat, chat streams for relaying and embeddings, each
// one call on the shared transport (transport.ts), so they retry, time out and fail exactly as native calls do.
import type { CallOptions } from '../ports/upstream-call.ts';
import { pumpRelayChunks, type RelayStream } from './chat-chunks.ts';
import type { ChatCompletion, DashScopeChatBody, EmbeddingBody, EmbeddingResponse } from './compat-types.ts';
import type { DashScopeTransport } from './transport.ts';
import { chatCompletionSchema, embeddingResponseSchema } from './schemas.ts';

export class CompatibleApi {
  private readonly chatPath: string;
  private readonly embeddingsPath: string;

  /** @param prefix a path prefix of the configured origin (kept, as a base URL keeps its path), or '' */
  constructor(
    private readonly http: DashScopeTransport,
    prefix: string,
  ) {
    this.chatPath = `${prefix}/compatible-mode/v1/chat/completions`;
    this.embeddingsPath = `${prefix}/compatible-mode/v1/embeddings`;
  }

  async chat(body: DashScopeChatBody, opts: CallOptions = {}): Promise<{ completion: ChatCompletion; requestId: string }> {
    const { data, requestId } = await this.http.json({ operation: 'chat', method: 'POST', path: this.chatPath, json: { ...body, stream: false } }, chatCompletionSchema, opts);
    return { completion: data as unknown as ChatCompletion, requestId: requestId || requestIdFromChatId(data.id) };
  }

  /**
   * Resolves once the response head arrived (retries happen only before that); `stream.pump(onRead)` then
   * pushes the chunks each read completed, plain text chunks unparsed (RelayChunk).
   */
  async chatRelay(body: DashScopeChatBody, opts: CallOptions = {}): Promise<{ requestId: string; stream: RelayStream }> {
    // a body that already says stream: true (chat-stream's always does) is sent as it is, not copied
    const json = body.stream === true ? body : { ...body, stream: true };
    const { body: stream, deadline, requestId } = await this.http.open({ operation: 'chatStream', method: 'POST', path: this.chatPath, json }, opts);
    return { requestId, stream: { pump: (onRead) => pumpRelayChunks(stream, deadline, requestId, onRead) } };
  }

  /** Always asks for `encoding_format: 'float'` (base64 support upstream is unverified). */
  async embed(body: EmbeddingBody, opts: CallOptions = {}): Promise<{ response: EmbeddingResponse; requestId: string }> {
    const json = { ...body, encoding_format: 'float' };
    const { data, requestId } = await this.http.json({ operation: 'embed', method: 'POST', path: this.embeddingsPath, json }, embeddingResponseSchema, opts);
    return { response: data, requestId };
  }
}

/** Compat chat ids are `chatcmpl-<request id>`. */
function requestIdFromChatId(id: string | undefined): string {
  return id?.startsWith('chatcmpl-') ? id.slice('chatcmpl-'.length) : '';
}
