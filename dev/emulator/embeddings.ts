// Embeddings in compatible mode (`dimensions`) and native (`parameters.dimension`): at most 10 texts per
// request, the model's dimensions only, vectors from ./vectors.ts.
import { z } from 'zod';
import { findModel, type EmbeddingModel } from '../../shared/catalog/catalog.ts';
import { describeZodIssue } from './chat-rules.ts';
import { sendJson, type RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';
import { ApiError, invalidParameter, modelNotFoundMessage } from './errors.ts';
import { countTokens } from './text-gen.ts';
import { embed, sparse, toBase64 } from './vectors.ts';

const compatSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string())]),
  dimensions: z.number().int().optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});
const nativeSchema = z.looseObject({
  model: z.string().min(1),
  input: z.looseObject({ texts: z.array(z.string()) }),
  parameters: z
    .looseObject({
      dimension: z.number().int().optional(),
      text_type: z.enum(['query', 'document']).optional(),
      output_type: z.enum(['dense', 'sparse', 'dense&sparse']).optional(),
    })
    .optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw invalidParameter(describeZodIssue(r.error).message, describeZodIssue(r.error).param);
  return r.data;
}

function checkRequest(env: EmulatorEnv, modelId: string, texts: string[], dims: number | undefined): { model: EmbeddingModel; dims: number; tokens: number } {
  const model = findModel(modelId);
  if (!model || model.kind !== 'embedding') throw new ApiError('modelNotFound', modelNotFoundMessage(modelId));
  if (texts.length > model.maxBatch) {
    throw invalidParameter(`Value error, batch size is invalid, it should not be larger than ${model.maxBatch}.: input.contents`, 'input');
  }
  if (texts.length === 0) throw invalidParameter('Value error, input.contents should not be empty.: input.contents', 'input');
  const d = dims ?? model.defaultDimensions;
  if (!model.dimensions.includes(d)) {
    throw invalidParameter(`Value error, dimension ${d} is not supported; use one of: ${model.dimensions.join(', ')}.: parameters.dimension`, 'dimensions');
  }
  let tokens = 0;
  for (const t of texts) {
    const n = countTokens(t);
    if (!t.length || n > model.maxTokensPerText) throw invalidParameter(`Range of input length should be [1, ${model.maxTokensPerText}]`, 'input');
    tokens += n;
  }
  env.limits.admit(model, tokens);
  return { model, dims: d, tokens };
}

export function handleCompatEmbeddings(ctx: RequestContext, env: EmulatorEnv): void {
  const b = parse(compatSchema, ctx.body);
  ctx.entry.model = b.model;
  const texts = typeof b.input === 'string' ? [b.input] : b.input;
  const { model, dims, tokens } = checkRequest(env, b.model, texts, b.dimensions);
  const base64 = b.encoding_format === 'base64';
  ctx.entry.usage = { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens };
  sendJson(ctx, 200, {
    data: texts.map((t, index) => {
      const v = embed(t, dims);
      return { embedding: base64 ? toBase64(v) : v, index, object: 'embedding' };
    }),
    model: model.id,
    object: 'list',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    id: ctx.requestId,
  });
}

export function handleNativeEmbeddings(ctx: RequestContext, env: EmulatorEnv): void {
  const b = parse(nativeSchema, ctx.body);
  ctx.entry.model = b.model;
  const texts = b.input.texts;
  const { dims, tokens } = checkRequest(env, b.model, texts, b.parameters?.dimension);
  const type = b.parameters?.output_type ?? 'dense';
  ctx.entry.usage = { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens };
  sendJson(ctx, 200, {
    output: {
      embeddings: texts.map((t, text_index) => ({
        ...(type !== 'sparse' ? { embedding: embed(t, dims) } : {}),
        ...(type !== 'dense' ? { sparse_embedding: sparse(t) } : {}),
        text_index,
      })),
    },
    usage: { total_tokens: tokens },
    request_id: ctx.requestId,
  });
}
