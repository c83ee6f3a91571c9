// The embeddings use case: any number of texts (up to EMBEDDINGS_MAX_INPUTS) in batches the model accepts,
// a few at a time under the model's rate limit, put back together in input order with usage summed.
import { requireModel, type EmbeddingModel } from '../../catalog/catalog.ts';
import { embeddingCost, estimateEmbeddingCost } from '../../catalog/pricing.ts';
import type { Principal } from '../../domain/tenant.ts';
import { settleAfterAnswer, type Admission } from '../guards/guard.ts';
import type { ChatDeps } from './chat-deps.ts';
import { LimitExceededError } from '../../validation/request-errors.ts';
import { ChatRequestError, UpstreamError } from './chat-errors.ts';
import type { EmbedRequest, EmbedResponse } from './embed-request.ts';
import { RateGate } from './rate-gate.ts';
import { estimateTokens } from './token-estimate.ts';
import { isAbort, toUpstreamError } from './upstream-error.ts';

/** Batches in flight per request. */
const CONCURRENCY = 4;

export interface EmbedOutcome {
  response: EmbedResponse;
  batches: number;
  dashscopeRequestIds: string[];
}

/** Who asks (limits, budgets, the ledger entry's tenant) and the request's id (for logs). */
export interface EmbedContext {
  principal: Principal;
  requestId: string;
}

export type Embedder = (req: EmbedRequest, signal: AbortSignal, ctx: EmbedContext) => Promise<EmbedOutcome>;

/** Little-endian float32, base64: what OpenAI answers for `encoding_format: 'base64'`. */
export function floatsToBase64(values: readonly number[]): string {
  const buf = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf.toString('base64');
}

/** Checks the texts; returns their tokens: `likely` (TPM) and `bound`, a token per character (what a budget reserves). */
function check(model: EmbeddingModel, texts: readonly string[], req: EmbedRequest, maxInputs: number): { likely: number; bound: number } {
  if (texts.length > maxInputs) {
    throw new LimitExceededError('too_many_inputs', `input holds ${texts.length} texts; at most ${maxInputs} are accepted per request`, 'input');
  }
  if (req.dimensions != null && !model.dimensions.includes(req.dimensions)) {
    throw new ChatRequestError('invalid_dimensions', `model '${model.id}' supports dimensions ${model.dimensions.join(', ')}`, 'dimensions');
  }
  const total = { likely: 0, bound: 0 };
  texts.forEach((t, i) => {
    const param = typeof req.input === 'string' ? 'input' : `input.${i}`;
    if (t.trim() === '') throw new ChatRequestError('empty_input', `input text ${i} is empty`, param);
    const tokens = estimateTokens(t);
    total.likely += tokens;
    total.bound += t.length;
    if (tokens > model.maxTokensPerText) {
      throw new ChatRequestError('input_too_long', `input text ${i} is about ${tokens} tokens; model '${model.id}' takes at most ${model.maxTokensPerText} per text`, param);
    }
  });
  return total;
}

/** Built once per process: the rate gates it holds are shared by every request. */
export function createEmbedder(deps: Pick<ChatDeps, 'dashscope' | 'config' | 'guard' | 'logger' | 'ids'>): Embedder {
  const gates = new Map<string, RateGate>();
  const gateFor = (m: EmbeddingModel) => {
    let g = gates.get(m.id);
    if (!g) gates.set(m.id, (g = RateGate.perMinute(m.limits.rpm)));
    return g;
  };

  return async (req, signal, ctx) => {
    const model = requireModel(req.model, 'embedding');
    const texts = typeof req.input === 'string' ? [req.input] : req.input;
    const tokens = check(model, texts, req, deps.config.EMBEDDINGS_MAX_INPUTS);
    const admission = await deps.guard.admit({
      principal: ctx.principal,
      model,
      // the layer's own id, never the client's request id (a repeated one would be billed once)
      ref: `embedding:${deps.ids.next('call')}`,
      upstreamRequests: Math.ceil(texts.length / model.maxBatch),
      tokens: tokens.likely,
      costMicros: estimateEmbeddingCost(model, tokens.bound).micros,
      holdMs: deps.config.DASHSCOPE_TIMEOUT_MS * (deps.config.DASHSCOPE_MAX_RETRIES + 1) + 60_000,
      signal,
    });
    let outcome: EmbedOutcome;
    try {
      outcome = await embedAll(deps, gateFor, model, texts, req, signal);
    } catch (e) {
      // batches DashScope answered before one failed were billed upstream; the others were not
      const billed = billedTokens(e);
      settleAfterAnswer(() => bill(deps, admission, model, billed));
      throw e;
    }
    // billed once the answer is out
    settleAfterAnswer(() => bill(deps, admission, model, { tokens: outcome.response.usage.prompt_tokens, requestIds: outcome.dashscopeRequestIds }));
    return outcome;
  };
}

interface Billed {
  tokens: number;
  requestIds: string[];
}
/** Usage of the batches answered before a failure, carried on the error. */
const BILLED = Symbol('billed');
const billedTokens = (e: unknown): Billed | undefined => (e as { [BILLED]?: Billed } | null)?.[BILLED];

async function bill(deps: Pick<ChatDeps, 'logger'>, admission: Admission, model: EmbeddingModel, billed: Billed | undefined): Promise<void> {
  try {
    if (!billed || billed.requestIds.length === 0) return await admission.release();
    const c = embeddingCost(model, billed.tokens);
    await admission.settle({ kind: 'embedding', costMicros: c.micros, units: c.units, tokens: billed.tokens, upstreamRef: billed.requestIds.join(',') });
  } catch (e) {
    deps.logger.error('embeddings cost not recorded', { model: model.id, dashscopeRequestIds: billed?.requestIds, error: e });
  }
}

async function embedAll(
  deps: Pick<ChatDeps, 'dashscope'>,
  gateFor: (m: EmbeddingModel) => RateGate,
  model: EmbeddingModel,
  texts: readonly string[],
  req: EmbedRequest,
  signal: AbortSignal,
): Promise<EmbedOutcome> {
  const { model: _m, input: _i, encoding_format: _e, user: _u, dimensions, ...extras } = req;
  const size = model.maxBatch;
  const batches = Math.ceil(texts.length / size);
  const vectors: number[][] = new Array(texts.length);
  const usage = { prompt_tokens: 0, total_tokens: 0 };
  const requestIds: string[] = [];
  // a batch that fails cancels the others: the app gets one clear error
  const failFast = new AbortController();
  const both = AbortSignal.any([signal, failFast.signal]);
  let next = 0;

  const runBatch = async (b: number) => {
    const start = b * size;
    const slice = texts.slice(start, start + size);
    await gateFor(model).take(both);
    let r;
    try {
      r = await deps.dashscope.embed(
        { ...extras, model: model.id, input: slice, encoding_format: 'float', ...(dimensions != null ? { dimensions } : {}) },
        { signal: both },
      );
    } catch (e) {
      if (isAbort(e, both)) throw e;
      const u = toUpstreamError(e);
      if (u instanceof UpstreamError) u.message = `inputs ${start}–${start + slice.length - 1}: ${u.message}`;
      throw u;
    }
    requestIds.push(r.requestId);
    const data = r.response.data;
    if (data.length !== slice.length || data.some((d) => d.index < 0 || d.index >= slice.length || !Array.isArray(d.embedding))) {
      throw new UpstreamError('broken', 'invalid_response', `DashScope answered ${data.length} embeddings for ${slice.length} texts (DashScope request id ${r.requestId})`, r.requestId, true);
    }
    for (const d of data) vectors[start + d.index] = d.embedding as number[];
    usage.prompt_tokens += r.response.usage?.prompt_tokens ?? 0;
    usage.total_tokens += r.response.usage?.total_tokens ?? 0;
  };
  const worker = async () => {
    while (next < batches && !both.aborted) await runBatch(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches) }, () => worker().catch((e: unknown) => {
      failFast.abort(e);
      throw e;
    })));
  } catch (e) {
    const thrown: unknown = failFast.signal.aborted && !signal.aborted ? failFast.signal.reason : e;
    if (thrown && typeof thrown === 'object') Object.defineProperty(thrown, BILLED, { value: { tokens: usage.prompt_tokens, requestIds }, configurable: true });
    throw thrown;
  }
  const base64 = req.encoding_format === 'base64';
  return {
    response: {
      object: 'list',
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? floatsToBase64(v) : v })),
      model: model.id,
      usage,
    },
    batches,
    dashscopeRequestIds: requestIds,
  };
}
