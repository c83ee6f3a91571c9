// Compatible-mode answers as DashScope sends them, for the client's tests: a completion, a stream chunk, an
// embeddings list, and a request id to find them by.
export const RID = '9d3c0a58-7a8b-4c1d-9e2f-3a4b5c6d7e8f';

export const chatBody = { model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] };

export const completion = (content: string) => ({
  id: `chatcmpl-${RID}`,
  object: 'chat.completion',
  created: 1770764906,
  model: 'qwen-plus',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  system_fingerprint: null,
});

export const chunk = (content: string) => ({
  id: `chatcmpl-${RID}`,
  object: 'chat.completion.chunk',
  created: 1770764906,
  model: 'qwen-plus',
  choices: [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }],
  usage: null,
});

export const embeddings = (vectors: number[][]) => ({
  object: 'list',
  data: vectors.map((embedding, index) => ({ object: 'embedding', embedding, index })),
  model: 'text-embedding-v4',
  usage: { prompt_tokens: 2, total_tokens: 2 },
  id: RID,
});
