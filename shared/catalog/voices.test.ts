import { describe, expect, it } from 'vitest';
import { requireModel } from './catalog.ts';
import { findLanguage, findVoice, findVoiceOrOpenAi, OPENAI_VOICE_MAP } from './voices.ts';

const tts = requireModel('qwen3-tts-flash', 'text-to-speech');

describe('voices', () => {
  it('finds a voice in any case and answers the name DashScope expects', () => {
    expect(findVoice(tts, 'cherry')).toBe('Cherry');
    expect(findVoice(tts, 'ONO ANNA')).toBe('Ono Anna');
    expect(findVoice(tts, 'alloy')).toBeUndefined();
    expect(findLanguage(tts, 'chinese')).toBe('Chinese');
  });

  it('maps every OpenAI voice to a voice of the model', () => {
    for (const [openai, qwen] of Object.entries(OPENAI_VOICE_MAP)) {
      expect(tts.voices).toContain(qwen);
      expect(findVoiceOrOpenAi(tts, openai.toUpperCase())).toBe(qwen);
    }
    expect(findVoiceOrOpenAi(tts, 'Dylan')).toBe('Dylan');
    expect(findVoiceOrOpenAi(tts, 'nobody')).toBeUndefined();
  });
});
