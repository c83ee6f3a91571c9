// zod schemas for what DashScope sends back: the two error envelopes, minimal chat and embedding responses.
// Lenient (`.nullish()`, loose objects): a new upstream field never breaks a call, a wrong shape still fails.
import { z } from 'zod';

const text = z.union([z.string(), z.number()]).transform(String);

/** Compatible mode: `{"error":{code,message,param,type},"request_id","id"?}`. */
export const compatErrorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    code: text.nullish(),
    message: z.string().nullish(),
    param: z.string().nullish(),
    type: z.string().nullish(),
  }),
  request_id: z.string().nullish(),
  id: z.string().nullish(),
});

/** Native: `{"code","message","request_id"}` at the top level. */
export const nativeErrorEnvelopeSchema = z.looseObject({
  code: text,
  message: z.string().nullish(),
  request_id: z.string().nullish(),
});

export interface ErrorEnvelope {
  code?: string;
  message?: string;
  param?: string;
  type?: string;
  requestId?: string;
}

/** Reads either envelope; undefined when the value is neither (the caller falls back to the raw status). */
export function parseErrorEnvelope(value: unknown): ErrorEnvelope | undefined {
  const compat = compatErrorEnvelopeSchema.safeParse(value);
  if (compat.success) {
    const e = compat.data.error;
    return clean({ code: e.code, message: e.message, param: e.param, type: e.type, requestId: compat.data.request_id });
  }
  const native = nativeErrorEnvelopeSchema.safeParse(value);
  if (native.success) {
    return clean({ code: native.data.code, message: native.data.message, requestId: native.data.request_id });
  }
  return undefined;
}

function clean(e: Partial<Record<keyof ErrorEnvelope, string | null>>): ErrorEnvelope {
  const out: ErrorEnvelope = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === 'string' && v !== '') out[k as keyof ErrorEnvelope] = v;
  return out;
}

const usage = z.looseObject({}).nullish();

/** Minimal check of a compatible-mode `chat.completion`. */
export const chatCompletionSchema = z.looseObject({
  id: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number(),
      message: z.looseObject({ role: z.string().nullish(), content: z.string().nullish() }),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage,
});

/**
 * Minimal shape of a compatible-mode `chat.completion.chunk` (the usage chunk has `choices: []`). Streams are
 * checked per chunk by an equivalent hand check (`shapeProblem` in chat-chunks.ts, tested against this).
 */
export const chatCompletionChunkSchema = z.looseObject({
  id: z.string().nullish(),
  choices: z.array(
    z.looseObject({
      index: z.number().nullish(),
      delta: z.looseObject({}).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage,
});

/** Minimal check of a compatible-mode embeddings list (its usage read as numbers: the use case adds them up). */
export const embeddingResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ embedding: z.array(z.number()), index: z.number() })),
  model: z.string().nullish(),
  usage: z.looseObject({ prompt_tokens: z.number().nullish(), total_tokens: z.number().nullish() }).nullish(),
});
