// POST /compatible-mode/v1/chat/completions: a `chat.completion` object, or an SSE stream of chunks paced
// by `chunkDelayMs` that stops generating the moment the client goes away.
import { composeAnswer, usageBody, type ChatAnswer } from './chat-answer.ts';
import { chunkWriter } from './chat-chunks.ts';
import { planChat, type ChatPlan } from './chat-rules.ts';
import { endStream, pause, sendJson, startEventStream, writeChunk, type RequestContext } from './context.ts';
import type { EmulatorEnv } from './env.ts';

export async function handleChat(ctx: RequestContext, env: EmulatorEnv): Promise<void> {
  const plan = planChat(ctx.body);
  ctx.entry.model = plan.model.id;
  env.limits.admit(plan.model, plan.promptTokens);
  const answer = composeAnswer(plan, env.options.replyTokens);
  env.limits.charge(plan.model, answer.usage.completion_tokens);
  const u = answer.usage;
  ctx.entry.usage = { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens, ...(u.reasoningTokens ? { reasoning_tokens: u.reasoningTokens } : {}) };
  const id = `chatcmpl-${ctx.requestId}`;
  const created = Math.floor(env.clock.nowMs() / 1000);
  if (!plan.stream) {
    sendJson(ctx, 200, completionBody(plan, answer, id, created));
    return;
  }
  await streamAnswer(ctx, env, plan, answer, id, created);
}

function completionBody(plan: ChatPlan, answer: ChatAnswer, id: string, created: number): Record<string, unknown> {
  return {
    choices: answer.choices.map((c) => ({
      message: {
        content: c.content.join(''),
        ...(c.reasoning ? { reasoning_content: c.reasoning.join('') } : {}),
        role: 'assistant',
        // recorded: content "" (not null) beside tool calls, and an `index` on each call
        ...(c.toolCalls ? { tool_calls: c.toolCalls.map((t, k) => ({ function: { arguments: t.arguments, name: t.name }, id: t.id, index: k, type: 'function' })) } : {}),
      },
      finish_reason: c.finishReason,
      index: c.index,
      logprobs: c.logprobs ? { content: c.logprobs } : null,
    })),
    object: 'chat.completion',
    usage: usageBody(answer.usage),
    created,
    system_fingerprint: null,
    model: plan.model.id,
    id,
  };
}

async function streamAnswer(ctx: RequestContext, env: EmulatorEnv, plan: ChatPlan, answer: ChatAnswer, id: string, created: number): Promise<void> {
  const writer = chunkWriter(id, created, plan.model.id);
  const delay = env.options.chunkDelayMs;
  startEventStream(ctx);
  let first = true;
  const send = async (payload: string): Promise<boolean> => {
    if (!first && !(await pause(ctx, delay))) return false;
    first = false;
    return writeChunk(ctx, `data: ${payload}\n\n`);
  };
  for (const choice of answer.choices) {
    for (const chunk of writer.choiceChunks(choice, plan.thinking)) {
      if (!(await send(chunk))) return;
    }
  }
  if (plan.includeUsage && !(await send(writer.usageChunk(usageBody(answer.usage))))) return;
  if (await writeChunk(ctx, 'data: [DONE]\n\n')) endStream(ctx);
}
