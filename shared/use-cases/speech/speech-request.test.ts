import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { parseSpeechRequest } from './speech-request.ts';

const refusal = (body: unknown) => {
  try {
    parseSpeechRequest(body);
  } catch (e) {
    return e as InvalidRequestError;
  }
  throw new Error('accepted');
};

describe('parseSpeechRequest', () => {
  it("takes OpenAI's request and names what Qwen TTS is sent", () => {
    expect(parseSpeechRequest({ model: 'gpt-4o-mini-tts', input: '你好', voice: 'nova', response_format: 'pcm', speed: 1, stream_format: 'audio' })).toMatchObject({
      model: { id: 'qwen3-tts-flash' },
      voice: 'Serena',
      format: 'pcm',
      characters: 4,
    });
    expect(parseSpeechRequest({ model: 'qwen3-tts-flash', input: 'hi', voice: 'DYLAN', language_type: 'chinese' })).toMatchObject({ voice: 'Dylan', language: 'Chinese', format: 'wav' });
    expect(parseSpeechRequest({ model: 'tts-1', input: 'hi', voice: { id: 'ono anna' } })).toMatchObject({ voice: 'Ono Anna' });
  });

  it.each([
    [{ model: 'tts-1', input: 'hi', voice: 'zed' }, 'unknown_voice', 'voice'],
    [{ model: 'tts-1', input: ' \u3000\n', voice: 'alloy' }, 'empty_input', 'input'],
    [{ model: 'tts-1', input: 'a'.repeat(601), voice: 'alloy' }, 'input_too_long', 'input'],
    [{ model: 'tts-1', input: 'hi', voice: 'alloy', response_format: 'opus' }, 'unsupported_response_format', 'response_format'],
    [{ model: 'tts-1', input: 'hi', voice: 'alloy', stream_format: 'sse' }, 'unsupported_stream_format', 'stream_format'],
    [{ model: 'tts-1', input: 'hi', voice: 'alloy', speed: 1.5 }, 'unsupported_parameter', 'speed'],
    [{ model: 'tts-1', input: 'hi', voice: 'alloy', instructions: 'whisper' }, 'unsupported_parameter', 'instructions'],
    [{ model: 'qwen-plus', input: 'hi', voice: 'alloy' }, 'model_not_found', 'model'],
    [{ model: 'tts-1', input: 'hi', voice: 'alloy', extra: 1 }, 'invalid_request', undefined],
  ])('refuses %j with %s', (body, code, param) => {
    const e = refusal(body);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.code).toBe(code);
    if (param) expect(e.param).toBe(param);
  });
});
