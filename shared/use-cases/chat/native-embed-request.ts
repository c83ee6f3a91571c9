// DashScope's native embeddings request (`POST /api/v1/services/embeddings/text-embedding/text-embedding`) as
// the embeddings use case's request, and its answer in DashScope's native shape.
import { z } from 'zod';
import { MODEL_ID_MAX_CHARS } from '../../catalog/catalog.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { validate } from '../../validation/validate.ts';
import type { EmbedRequest, EmbedResponse } from './embed-request.ts';

export const nativeEmbedRequestSchema = z.strictObject({
  model: z.string().min(1).max(MODEL_ID_MAX_CHARS, `must be at most ${MODEL_ID_MAX_CHARS} characters`),
  input: z.strictObject({ texts: z.union([z.string(), z.array(z.string()).min(1, 'must hold at least one text')]) }),
  parameters: z
    .strictObject({
      dimension: z.number().int().positive().optional(),
      text_type: z.enum(['query', 'document']).optional(),
      output_type: z.enum(['dense', 'sparse', 'dense&sparse']).optional(),
    })
    .optional(),
});
export type NativeEmbedRequest = z.infer<typeof nativeEmbedRequestSchema>;

export interface NativeEmbedResponse {
  output: { embeddings: { embedding: number[]; text_index: number }[] };
  usage: { total_tokens: number };
  request_id: string;
}

/**
 * Validates a native body into the use case's request: `dimension` becomes `dimensions`, `text_type` goes
 * upstream as it came. Only dense vectors are served: sparse ones have no counterpart in the layer's upstream.
 */
export function fromNativeEmbedRequest(body: unknown): EmbedRequest {
  const b = validate(nativeEmbedRequestSchema, body);
  const p = b.parameters ?? {};
  if (p.output_type !== undefined && p.output_type !== 'dense') {
    throw new InvalidRequestError('invalid_request', `parameters.output_type: only 'dense' is served; '${p.output_type}' is not`, 'parameters.output_type');
  }
  return {
    model: b.model,
    input: b.input.texts,
    encoding_format: 'float',
    ...(p.dimension !== undefined ? { dimensions: p.dimension } : {}),
    ...(p.text_type !== undefined ? { text_type: p.text_type } : {}),
  };
}

export function toNativeEmbedResponse(r: EmbedResponse, requestId: string): NativeEmbedResponse {
  return {
    output: { embeddings: r.data.map((d) => ({ embedding: d.embedding as number[], text_index: d.index })) },
    usage: { total_tokens: r.usage.total_tokens },
    request_id: requestId,
  };
}
