// The speech upstream a function's use cases get: the one given, else the process's DashScope client (which
// speaks Qwen TTS); a test's fake task upstream without speech gives none.
import type { SpeechUpstream } from '../ports/speech-upstream.ts';

export function speechOf(deps: { speech?: SpeechUpstream; dashscope: object }): SpeechUpstream | undefined {
  if (deps.speech) return deps.speech;
  const client = deps.dashscope as Partial<SpeechUpstream>;
  return typeof client.synthesizeSpeech === 'function' && typeof client.streamSpeech === 'function' ? (client as SpeechUpstream) : undefined;
}
