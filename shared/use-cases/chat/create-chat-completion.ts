// The chat use case: check the request against the model, put a named conversation's history in front,
// then stream (relayed chunk by chunk), answer plainly, or assemble one answer from an upstream stream; a
// json_schema served by JSON mode is answered whole, checked, retried once, and replayed when streamed.
import { requireModel, type ChatModel } from '../../catalog/catalog.ts';
import type { Principal } from '../../domain/tenant.ts';
import { NOOP_ADMISSION, settleAfterAnswer, type Admission } from '../guards/guard.ts';
import { chatBill, chatDemand } from './chat-billing.ts';
import type { ChatDeps } from './chat-deps.ts';
import type { CallerSignal } from '../../streams/cancellation.ts';
import type { ChatCompletion, ChatUsage, CompletionMessage } from '../../ports/chat-upstream.ts';
import { completionForClient } from './answer-shape.ts';
import { StructuredOutputError, UpstreamError } from './chat-errors.ts';
import { planChat, type ChatPlan } from './chat-plan.ts';
import { checkParameters } from './openai-parameters.ts';
import type { ChatRequest } from './chat-request.ts';
import { buildUpstreamBody } from './chat-upstream-body.ts';
import { openConversation, type ConversationSession } from './conversation-history.ts';
import { relayChatStream, type ChatStreamSink, type RelayResult } from './stream-relay.ts';
import { adjustmentsOf, checkCompletion, replayChunks, type ChatAdjustments } from './structured-output.ts';
import { isAbort, toUpstreamError } from './upstream-error.ts';


export interface ChatContext {
  /** Fires when the client goes away: every upstream call is cancelled. */
  signal: CallerSignal;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** From the X-Conversation-Id header; the body's conversation_id wins when both are given. */
  conversationId?: string;
  /** Where a streamed answer goes; required when the request asks for `stream: true`. */
  sink?: ChatStreamSink;
  /** Who the call acts for: its limits and budgets apply, its ledger entry names it, a named conversation is its own. */
  principal: Principal;
  /** The request's id (for logs; the ledger entry's id is the layer's own). */
  requestId: string;
  /**
   * Told what the layer changed to have the request served (a JSON instruction, thinking off, a checked schema),
   * before any answer goes out; again once a checked schema's attempts are known.
   */
  onAdjusted?: (adjustments: ChatAdjustments) => void;
  /**
   * A history of the layer's own naming instead of a conversation id (the Responses API's stored responses):
   * read from one id of the caller's tenant, the new turn saved under another (or not saved).
   */
  history?: { readFrom?: string; saveAs?: string };
}

export interface ChatOutcome {
  model: string;
  stream: boolean;
  thinking: boolean;
  /** completed: the whole answer reached the client; aborted: the client left; failed: an error event ended the stream. */
  end: 'completed' | 'aborted' | 'failed';
  /** The answer, when not streamed. */
  completion?: ChatCompletion;
  dashscopeRequestId?: string;
  usage?: ChatUsage;
  ttftMs?: number;
  conversationId?: string;
  historyTurns?: number;
  errorCode?: string;
  /** What the layer changed to have the request served (structured-output.ts). */
  adjustments?: ChatAdjustments;
}

const truncated = (rid: string | undefined) =>
  new UpstreamError('broken', 'stream_truncated', `DashScope ended the stream before the answer was complete${rid ? ` (DashScope request id ${rid})` : ''}`, rid, true);

/** Longest a chat's reservation may stay unsettled: every attempt's deadline and a minute more. */
const holdMs = (deps: ChatDeps) => deps.config.DASHSCOPE_TIMEOUT_MS * (deps.config.DASHSCOPE_MAX_RETRIES + 1) + 60_000;

export async function createChatCompletion(deps: ChatDeps, req: ChatRequest, ctx: ChatContext): Promise<ChatOutcome> {
  const model = requireModel(req.model, 'chat');
  const plan = planChat(model, req, { thinkingConflict: deps.config.CHAT_THINKING_CONFLICT ?? 'disable' });
  checkParameters(model, plan, req);
  const adjustments = adjustmentsOf(plan.structured);
  if (adjustments) ctx.onAdjusted?.(adjustments);
  const conversationId = req.conversation_id ?? ctx.conversationId;
  const session = conversationId ? await openConversation(deps, { tenant: ctx.principal.tenant, id: conversationId }, req.messages, ctx.signal) : await openHistory(deps, ctx, req);
  const messages = session?.messages ?? req.messages;
  // one outcome object, filled in as things become known (no spreads per request on the hot path)
  const out: ChatOutcome = { model: model.id, stream: req.stream === true, thinking: plan.thinking, end: 'completed' };
  if (adjustments) out.adjustments = adjustments;
  if (session) {
    out.conversationId = session.id;
    out.historyTurns = session.historyTurns;
  }
  const call: PlannedCall = { deps, req, ctx, model, plan, messages, session };
  if (plan.structured?.check) return serveChecked(call, out);
  return guarded(call, out, async () => {
    const served = await serve(call, out);
    if (req.stream && served.end === 'completed') ctx.sink?.done();
    return served;
  });
}

/** A chat call as planned: what each step of serving it reads. */
interface PlannedCall {
  deps: ChatDeps;
  req: ChatRequest;
  ctx: ChatContext;
  model: ChatModel;
  plan: ChatPlan;
  /** What goes upstream: the request's messages behind the conversation's history, if any. */
  messages: ChatRequest['messages'];
  session: ConversationSession | undefined;
}

/** One upstream call under the guards: admitted first, billed from `out` once it is answered (or released). */
async function guarded<T>({ deps, req, ctx, model, plan, messages }: PlannedCall, out: ChatOutcome, run: () => Promise<T>): Promise<T> {
  // the ledger entry's id is ours, never the client's request id (a client could repeat that to be billed once)
  // with GUARDS=off the prompt is not measured at all: nothing would use the figures
  const demanded = deps.guard.enabled ? chatDemand(ctx.principal, model, req, plan, messages, `chat:${deps.ids.next('call')}`, holdMs(deps), ctx.signal) : undefined;
  const admission = demanded ? await deps.guard.admit(demanded.demand) : NOOP_ADMISSION;
  const settle = () => {
    if (demanded) settleAfterAnswer(() => bill(deps, admission, model, out, demanded.promptTokens));
  };
  let result: T;
  try {
    result = await run();
  } catch (e) {
    settle();
    throw e;
  }
  // billed once the answer is out (a non-streamed one is written as soon as this returns)
  settle();
  return result;
}

/** Upstream calls for a json_schema served by JSON mode: the first answer, and one more after a mismatch. */
const CHECKED_ATTEMPTS = 2;

/**
 * A json_schema served by JSON mode: each attempt is one whole (non-streamed) upstream call, admitted and billed
 * on its own; an answer that does not match the schema is asked for once more, then refused naming the path.
 * A streaming client gets the checked answer replayed as chunks: nothing is sent before it is checked, so a
 * retry never follows bytes the client already has.
 */
async function serveChecked(call: PlannedCall, out: ChatOutcome): Promise<ChatOutcome> {
  const { deps, req, ctx, model, plan, session } = call;
  const check = plan.structured!.check!;
  const adjustments = out.adjustments!;
  let completion: ChatCompletion | undefined;
  for (let attempt = 1; ; attempt++) {
    // each attempt is billed from its own outcome (read after the answer): one ledger entry per upstream call
    const o: ChatOutcome = { model: out.model, stream: out.stream, thinking: out.thinking, end: 'completed' };
    completion = await guarded(call, o, async () => {
      const answer = await answerWhole(call, o);
      if (!answer) o.end = 'aborted';
      return answer;
    });
    if (o.usage) out.usage = o.usage;
    if (o.dashscopeRequestId) out.dashscopeRequestId = o.dashscopeRequestId;
    if (o.ttftMs !== undefined && out.ttftMs === undefined) out.ttftMs = o.ttftMs;
    if (!completion) return aborted(out);
    adjustments.attempts = attempt;
    const problem = checkCompletion(completion, check);
    if (!problem) break;
    if (attempt >= CHECKED_ATTEMPTS) throw new StructuredOutputError(check.name, attempt, problem.path, problem.message, out.dashscopeRequestId);
    deps.logger.info('structured answer did not match its schema; asking again', { model: model.id, dashscopeRequestId: out.dashscopeRequestId, path: problem.path });
  }
  ctx.onAdjusted?.(adjustments);
  await saveWhole(session, completion);
  if (!req.stream) {
    out.completion = completionForClient(completion);
    return out;
  }
  const sink = ctx.sink;
  if (!sink) throw new Error('a streamed chat needs a sink');
  sink.open(out.dashscopeRequestId ? { dashscopeRequestId: out.dashscopeRequestId } : {});
  for (const chunk of replayChunks(completion, req.stream_options?.include_usage === true)) sink.send(chunk);
  await sink.flush();
  if (ctx.signal.aborted) return aborted(out);
  sink.done();
  return out;
}

/** The session of `ctx.history`, when it names one. */
async function openHistory(deps: ChatDeps, ctx: ChatContext, req: ChatRequest): Promise<ConversationSession | undefined> {
  const h = ctx.history;
  const id = h?.readFrom ?? h?.saveAs;
  if (!h || !id) return undefined;
  const tenant = ctx.principal.tenant;
  return openConversation(deps, { tenant, id }, req.messages, ctx.signal, h.saveAs ? { saveAs: { tenant, id: h.saveAs } } : { readOnly: true });
}

/** Records what DashScope reported (or, for a stream cut off without usage, its prompt); releases when nothing reached DashScope's answer. */
async function bill(deps: ChatDeps, admission: Admission, model: ChatModel, out: ChatOutcome, promptEstimate: number): Promise<void> {
  try {
    if (out.usage || (out.end === 'aborted' && out.dashscopeRequestId)) await admission.settle(chatBill(model, out.usage, promptEstimate, out.dashscopeRequestId));
    else await admission.release();
  } catch (e) {
    // the client's answer stands; an unsettled reservation expires, and the line says what was not recorded
    deps.logger.error('chat cost not recorded', { model: model.id, dashscopeRequestId: out.dashscopeRequestId, usage: out.usage, error: e });
  }
}

async function serve(call: PlannedCall, out: ChatOutcome): Promise<ChatOutcome> {
  const { deps, req, ctx, plan, messages, session } = call;
  if (req.stream) {
    const sink = ctx.sink;
    if (!sink) throw new Error('a streamed chat needs a sink');
    const body = buildUpstreamBody(req, plan, messages, true);
    const includeUsage = req.stream_options?.include_usage === true;
    const r = await relayChatStream(deps.dashscope, body, { signal: ctx.signal, sink, includeUsage, assemble: Boolean(session), startedAt: ctx.startedAt });
    addStats(out, r);
    if (r.aborted) return aborted(out);
    if (!r.opened) throw r.error ?? truncated(r.dashscopeRequestId);
    const error = r.error ?? (r.finished ? undefined : truncated(r.dashscopeRequestId));
    // the conversation's new turn is saved before the client sees the end
    if (!error && session) {
      const saved = await save(session, r.assembled?.message(0));
      if (saved) return fail(sink, out, saved);
    }
    if (error) return fail(sink, out, error);
    return out;
  }

  const completion = await answerWhole(call, out);
  if (!completion) return aborted(out);
  await saveWhole(session, completion);
  out.completion = completionForClient(completion);
  return out;
}

/** A whole answer's turn saved to its conversation (if any) before the client sees it; a failed save is thrown. */
async function saveWhole(session: ConversationSession | undefined, completion: ChatCompletion): Promise<void> {
  if (!session) return;
  const failed = await save(session, completion.choices[0]?.message);
  if (failed) throw failed;
}

/** One whole answer: a plain call, or assembled from an upstream stream; undefined when the client left. */
async function answerWhole({ deps, req, ctx, plan, messages }: PlannedCall, out: ChatOutcome): Promise<ChatCompletion | undefined> {
  if (plan.assemble) {
    const body = buildUpstreamBody(req, plan, messages, true);
    const r = await relayChatStream(deps.dashscope, body, { signal: ctx.signal, includeUsage: true, assemble: true, startedAt: ctx.startedAt });
    addStats(out, r);
    if (r.aborted) return undefined;
    if (r.error || !r.finished || !r.assembled) throw r.error ?? truncated(r.dashscopeRequestId);
    return r.assembled.completion();
  }
  const body = buildUpstreamBody(req, plan, messages, false);
  try {
    const r = await deps.dashscope.chat(body, { signal: ctx.signal });
    out.dashscopeRequestId = r.requestId;
    if (r.completion.usage) out.usage = r.completion.usage;
    return r.completion;
  } catch (e) {
    if (isAbort(e, ctx.signal)) return undefined;
    throw toUpstreamError(e);
  }
}

function addStats(out: ChatOutcome, r: RelayResult): void {
  if (r.dashscopeRequestId) out.dashscopeRequestId = r.dashscopeRequestId;
  if (r.usage) out.usage = r.usage;
  if (r.ttftMs !== undefined) out.ttftMs = r.ttftMs;
}

function aborted(out: ChatOutcome): ChatOutcome {
  out.end = 'aborted';
  return out;
}

/** Saves the turn; returns the error instead of throwing, so the caller ends the response its own way. */
async function save(session: ConversationSession, answer: CompletionMessage | undefined): Promise<unknown> {
  if (!answer) return undefined;
  try {
    await session.save(answer);
    return undefined;
  } catch (e) {
    return e;
  }
}

function fail(sink: ChatStreamSink, out: ChatOutcome, error: unknown): ChatOutcome {
  sink.fail(error);
  out.end = 'failed';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') out.errorCode = code;
  return out;
}
