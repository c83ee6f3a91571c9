// The `openai` SDK, unchanged, against `npm start`: what an app built on it does first.
import OpenAI from 'openai';
import { describe, expect, inject, it } from 'vitest';

const client = new OpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none', maxRetries: 0 });

describe('openai SDK against npm start', () => {
  it('chat.completions.create answers', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Name a river.' }] });
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it('chat.completions.create streams to the end', async () => {
    const stream = await client.chat.completions.create({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Describe a lake.' }], stream: true });
    let text = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
  });
});
