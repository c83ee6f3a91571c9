// The `openai` SDK, unchanged, against `npm start`: models by id and by kind, OpenAI's temperature range, and
// a tool loop run by the SDK's own runTools with several calls in one turn.
import OpenAI from 'openai';
import { describe, expect, inject, it } from 'vitest';

const client = new OpenAI({ baseURL: `${inject('compatOrigin')}/v1`, apiKey: 'local-mode-needs-none', maxRetries: 0 });
const ask = (content: string) => [{ role: 'user' as const, content }];

describe('openai SDK: models', () => {
  it('models.retrieve answers one model with its owner, date and kind', async () => {
    const m = (await client.models.retrieve('qwen-plus')) as OpenAI.Model & { kind?: string };
    expect(m).toMatchObject({ id: 'qwen-plus', object: 'model', owned_by: 'alibaba', kind: 'chat' });
    expect(m.created).toBeGreaterThan(0);
    await expect(client.models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('models.list tells chat models from embedding, image, video and speech ones', async () => {
    const kinds = new Map<string, string>();
    for await (const m of client.models.list()) kinds.set(m.id, (m as OpenAI.Model & { kind: string }).kind);
    expect(kinds.get('qwen-plus')).toBe('chat');
    expect(kinds.get('text-embedding-v4')).toBe('embedding');
    expect(kinds.get('wanx2.1-t2i-turbo')).toBe('text-to-image');
    expect(kinds.get('wan2.5-t2v-preview')).toBe('text-to-video');
    expect(kinds.get('wan2.5-i2v-preview')).toBe('image-to-video');
    expect(kinds.get('qwen3-tts-flash')).toBe('text-to-speech');
  });
});

describe('openai SDK: chat', () => {
  it('accepts temperature 2, the top of OpenAI\'s range', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Invent a word.'), temperature: 2 }).withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.headers.get('x-adjusted-parameters')).toBe('temperature=1.99');
  });

  it('runTools runs two function tools called in one turn, then answers with their results', async () => {
    const ran: string[] = [];
    const runner = client.chat.completions.runTools({
      model: 'qwen-plus',
      messages: ask('What is the weather and the local time in Lisbon?'),
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Get the weather for a location',
            parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
            parse: JSON.parse,
            function: (args: { location: string }) => {
              ran.push(`weather:${typeof args.location}`);
              return 'Sunny, twenty-two degrees';
            },
          },
        },
        {
          type: 'function',
          function: {
            name: 'clock',
            description: 'Get the local time for a location',
            parameters: { type: 'object', properties: { location: { type: 'string' } } },
            parse: JSON.parse,
            function: () => {
              ran.push('clock');
              return 'Quarter past four in the afternoon';
            },
          },
        },
      ],
    });
    const answer = await runner.finalContent();
    expect(ran.sort()).toEqual(['clock', 'weather:string']);
    // one assistant turn carried both calls, with content null beside them
    const turns = runner.messages.filter((m) => m.role === 'assistant' && 'tool_calls' in m && m.tool_calls?.length);
    expect(turns).toHaveLength(1);
    expect((turns[0] as OpenAI.ChatCompletionAssistantMessageParam).tool_calls).toHaveLength(2);
    expect((turns[0] as OpenAI.ChatCompletionAssistantMessageParam).content).toBeNull();
    expect(answer?.length).toBeGreaterThan(0);
  });

  it('streams chunks with a finish_reason on every choice and no usage unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'qwen-plus', messages: ask('Describe a meadow.'), stream: true });
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      expect(c).not.toHaveProperty('usage');
      for (const choice of c.choices) expect(choice).toHaveProperty('finish_reason');
    }
    expect(chunks).toBeGreaterThan(3);
  });
});
