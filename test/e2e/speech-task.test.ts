// End to end through the local runtime and the emulator: a long Chinese text becomes one speech task, split
// and synthesised in parts, joined into one WAV in the bucket; bad speech requests create nothing.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SAMPLE_RATE, samplesForText } from '../../dev/emulator/wav.ts';
import { parseWav, pcmSeconds } from '../../shared/audio/wav.ts';
import { speechCharacters } from '../../shared/catalog/pricing.ts';
import { useTaskRuntime } from './task-runtime.ts';

const stack = useTaskRuntime('e2e-speech-');
const { post, untilSettled } = stack;

/** 1,500 Chinese characters in sentences of 29 (28 Han and a full stop). */
function chineseText(): string {
  const sentence = '春风吹过山谷河水静静流向远方的村庄孩子们在田野里奔跑歌唱。';
  let text = '';
  while (text.length < 1_500) text += sentence.slice(0, 1_500 - text.length);
  return text;
}

const ttsCalls = () => stack.rt.emulator!.requests.filter((r) => r.path.endsWith('/multimodal-generation/generation'));

describe('text-to-speech tasks end to end', () => {
  it('speaks a 1,500-character Chinese text as one valid WAV as long as its parts together', async () => {
    const text = chineseText();
    expect([...text]).toHaveLength(1_500);
    const before = ttsCalls().length;
    const created = await post({ type: 'text-to-speech', input: { text, voice: 'cherry', language_type: 'chinese' } });
    expect(created.status).toBe(202);
    const view = await untilSettled(created.json.id);
    expect(view.status).toBe('PERSISTED');
    expect(view.outputs).toHaveLength(1);

    // about 3,000 billed characters (each Han counts 2) in parts of at most 600: at least 5 syntheses, in order
    const row = (await stack.rt.deps.tasks.get(view.id))!;
    const parts = row.speech!.done;
    expect(parts.length).toBeGreaterThanOrEqual(5);
    expect(ttsCalls().length - before).toBe(parts.length);
    expect(view.progress).toEqual({ parts: parts.length, done: parts.length });
    expect(row.input).toMatchObject({ voice: 'Cherry', language_type: 'Chinese' });
    expect(row.usage).toMatchObject({ characters: speechCharacters(text), parts: parts.length });
    expect(row.cost?.amount).toBeGreaterThan(0);

    const out = view.outputs[0]!;
    expect(out.contentType).toBe('audio/wav');
    expect(out.key).toMatch(new RegExp(`^media/\\d{4}/\\d{2}/\\d{2}/${view.id}/0\\.wav$`));
    const fetched = Buffer.from(await (await fetch(out.url!)).arrayBuffer());
    expect(createHash('sha256').update(fetched).digest('hex')).toBe(out.sha256);
    expect(fetched.length).toBe(out.bytes);

    // the joined file decodes, and lasts exactly as long as the parts the emulator spoke for each text
    const wav = parseWav(fetched);
    expect(wav.format).toEqual({ sampleRate: SAMPLE_RATE, channels: 1, bitsPerSample: 16 });
    let expectedSamples = 0;
    for (const part of parts) {
      const expected = await stack.rt.emulator!.media.expected(part.url);
      expectedSamples += (expected.bytes - 44) / 2;
    }
    expect(wav.data.length).toBe(expectedSamples * 2);
    expect(fetched.readUInt32LE(4)).toBe(fetched.length - 8);
    const seconds = pcmSeconds(wav.format, wav.data.length);
    expect(seconds).toBeCloseTo(expectedSamples / SAMPLE_RATE, 6);
    // the emulator speaks 50 ms per character: 1,500 characters are 75 s, whitespace dropped between parts
    expect(seconds).toBeCloseTo(samplesForText(1_500) / SAMPLE_RATE, 0);
  }, 40_000);

  it('speaks a short text in one synthesis and keeps its WAV as DashScope made it', async () => {
    const created = await post({ type: 'text-to-speech', input: { text: 'Hello there. How are you today?', voice: 'ETHAN' } });
    expect(created.status).toBe(202);
    const view = await untilSettled(created.json.id);
    expect(view.status).toBe('PERSISTED');
    const row = (await stack.rt.deps.tasks.get(view.id))!;
    expect(row.speech!.done).toHaveLength(1);
    const expected = await stack.rt.emulator!.media.expected(row.speech!.done[0]!.url);
    expect(view.outputs[0]!.sha256).toBe(expected.sha256);
  }, 30_000);

  const refusals = [
    { name: 'an unknown voice (listing the voices)', input: { text: 'hello', voice: 'Nobody' }, code: 'unknown_voice', param: 'input.voice', says: /Cherry, Serena, Ethan/ },
    { name: 'a text of only whitespace', input: { text: ' \n\t　 ' }, code: 'empty_text', param: 'input.text', says: /nothing to speak/ },
    { name: 'an empty text', input: { text: '' }, code: 'empty_text', param: 'input.text', says: /nothing to speak/ },
    { name: 'a text past the task limit', input: { text: '长'.repeat(10_001) }, code: 'text_too_long', param: 'input.text', says: /20002 characters/ },
    { name: 'an unknown language type', input: { text: 'hello', language_type: 'Klingon' }, code: 'invalid_request', param: 'input.language_type', says: /Chinese/ },
  ];

  it.each(refusals)('refuses $name with a 400 and creates nothing', async ({ input, code, param, says }) => {
    const rows = (await stack.rt.deps.tasks.listByStatus(undefined, 1_000)).tasks.length;
    const calls = ttsCalls().length;
    const res = await post({ type: 'text-to-speech', input });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code, param });
    expect(res.json.error!.message).toMatch(says);
    expect((await stack.rt.deps.tasks.listByStatus(undefined, 1_000)).tasks.length).toBe(rows);
    expect(ttsCalls().length).toBe(calls);
  });
});
