// Speech voices: a voice named in any case becomes the exact name DashScope wants (it is case-sensitive), and
// OpenAI's voice names map to Qwen voices of a similar register, so OpenAI clients work unchanged.
import type { SpeechModel } from './catalog.ts';

/** OpenAI's voices (`audio.speech.create`) and the Qwen3 TTS voice each one is spoken by. */
export const OPENAI_VOICE_MAP: Readonly<Record<string, string>> = {
  alloy: 'Cherry',
  ash: 'Aiden',
  ballad: 'Elias',
  cedar: 'Moon',
  coral: 'Chelsie',
  echo: 'Ethan',
  fable: 'Neil',
  marin: 'Vivian',
  nova: 'Serena',
  onyx: 'Ryan',
  sage: 'Maia',
  shimmer: 'Jennifer',
  verse: 'Kai',
};

export const DEFAULT_VOICE = 'Cherry';

/** The model's voice `name` names, whatever its case (`cherry`, `ONO ANNA`), or undefined. */
export function findVoice(model: SpeechModel, name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  return model.voices.find((v) => v.toLowerCase() === wanted);
}

/** As findVoice, and OpenAI's voice names too (a Qwen voice of the same name wins; none collide today). */
export function findVoiceOrOpenAi(model: SpeechModel, name: string): string | undefined {
  const own = findVoice(model, name);
  if (own) return own;
  const mapped = OPENAI_VOICE_MAP[name.trim().toLowerCase()];
  return mapped && model.voices.includes(mapped) ? mapped : undefined;
}

/** The model's language type `name` names, whatever its case, or undefined. */
export function findLanguage(model: SpeechModel, name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  return model.languages.find((l) => l.toLowerCase() === wanted);
}
