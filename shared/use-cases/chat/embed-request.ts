// The body of POST /v1/embeddings (OpenAI's shape). Texts only: token-id arrays are refused with a clear
// message, since DashScope's compatible mode takes text.
import { z } from 'zod';
import { MODEL_ID_MAX_CHARS } from '../../catalog/catalog.ts';

export const embedRequestSchema = z.looseObject({
  model: z.string().min(1).max(MODEL_ID_MAX_CHARS, `must be at most ${MODEL_ID_MAX_CHARS} characters`),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1, 'must hold at least one text'),
    z.array(z.number()).transform((_, ctx) => {
      ctx.addIssue({ code: 'custom', message: 'token-id input is not supported; send text' });
      return z.NEVER;
    }),
    z.array(z.array(z.number())).transform((_, ctx) => {
      ctx.addIssue({ code: 'custom', message: 'token-id input is not supported; send text' });
      return z.NEVER;
    }),
  ]),
  dimensions: z.number().int().positive().nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  user: z.string().nullish(),
});
export type EmbedRequest = z.infer<typeof embedRequestSchema>;

export interface EmbeddingItem {
  object: 'embedding';
  index: number;
  /** Floats, or base64 of little-endian float32 when the client asked for `encoding_format: 'base64'`. */
  embedding: number[] | string;
}

export interface EmbedResponse {
  object: 'list';
  data: EmbeddingItem[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
