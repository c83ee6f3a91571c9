// The emulator refuses what DashScope refuses around structured output (checklist 8 and the thinking rules),
// with DashScope's words: the layer's structured-output tests rely on these traps being there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/server.ts';
import { post } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, chunkDelayMs: 0 });
});
afterAll(() => emu.close());

const user = (content: string) => [{ role: 'user', content }];
const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
const refusal = async (body: Record<string, unknown>) => {
  const r = await post(emu, '/compatible-mode/v1/chat/completions', body);
  const b = (await r.json()) as { error: { code: string; message: string; type: string } };
  return { status: r.status, ...b.error };
};

describe('emulator refusals of structured output', () => {
  it('refuses a forced tool_choice (required or a named function) while thinking', async () => {
    for (const tool_choice of ['required', { type: 'function', function: { name: 'weather' } }]) {
      expect(await refusal({ model: 'qwen-plus', stream: true, enable_thinking: true, tools, tool_choice, messages: user('Weather?') })).toMatchObject({
        status: 400,
        code: 'invalid_parameter_error',
        type: 'invalid_request_error',
        message: 'The tool_choice parameter does not support being set to required or object in thinking mode',
      });
    }
  });

  it('refuses a forced tool on a Qwen3 model that thinks by default, unless thinking is switched off', async () => {
    const body = { model: 'qwen3-32b', stream: true, tools, tool_choice: 'required', messages: user('Weather?') };
    expect((await refusal(body)).status).toBe(400);
    const r = await post(emu, '/compatible-mode/v1/chat/completions', { ...body, enable_thinking: false });
    expect(r.status).toBe(200);
    await r.text();
  });

  it('refuses json_schema with thinking like json_object', async () => {
    const response_format = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } } } };
    expect(await refusal({ model: 'qwen-plus', stream: true, enable_thinking: true, response_format, messages: user('json please') })).toMatchObject({
      status: 400,
      message: 'Json mode response is not supported when enable_thinking is true',
    });
  });
});
