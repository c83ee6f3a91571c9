import { describe, expect, it } from 'vitest';
import { MODELS, UnknownModelError, WrongModelKindError, findModel, maxChoices, modelsOfKind, requireModel } from './catalog.ts';

describe('catalog', () => {
  it('names every model of the specs and the seed article once', () => {
    const ids = MODELS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['qwen-turbo', 'qwen-plus', 'qwen-max', 'qwen3-max', 'qwen3-coder-plus', 'qwen-turbo-longcontext', 'text-embedding-v3', 'text-embedding-v4', 'wanx2.1-t2i-turbo', 'wan2.5-t2v-preview', 'wan2.5-i2v-preview', 'qwen3-tts-flash']) {
      expect(findModel(id), id).toBeDefined();
    }
  });

  it('holds the corrected embedding limits and price (10 texts, 8,192 tokens, 0.5 CNY/M)', () => {
    for (const m of modelsOfKind('embedding')) {
      expect(m.maxBatch).toBe(10);
      expect(m.maxTokensPerText).toBe(8192);
      expect(m.price.input).toBe(0.5);
    }
  });

  it('knows which models need streaming to think', () => {
    expect(requireModel('qwen3-max', 'chat').thinkingStreamOnly).toBe(false);
    // a recording of 2026-08 shows qwen-plus thinking without streaming; the open-source Qwen3 stay stream-only
    expect(requireModel('qwen-plus', 'chat').thinkingStreamOnly).toBe(false);
    expect(requireModel('qwen3-32b', 'chat').thinkingStreamOnly).toBe(true);
    expect(requireModel('qwen3-32b', 'chat').thinking).toBe('default-on');
    expect(requireModel('qwen-max', 'chat').thinking).toBe('none');
  });

  it('allows several answers per request only where DashScope serves them, and one when thinking', () => {
    expect(maxChoices(requireModel('qwen-plus', 'chat'), false)).toBe(4);
    expect(maxChoices(requireModel('qwen-plus', 'chat'), true)).toBe(1);
    expect(maxChoices(requireModel('qwen-max', 'chat'), false)).toBe(1);
  });

  it('does not list the unofficial wan2.5-t2v-plus id', () => {
    expect(findModel('wan2.5-t2v-plus')).toBeUndefined();
  });

  it('refuses an unknown id with the list of known ones of the wanted kind', () => {
    try {
      requireModel('gpt-4o', 'embedding');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownModelError);
      expect((e as Error).message).toContain('text-embedding-v3');
      expect((e as Error).message).not.toContain('qwen-plus');
    }
  });

  it('refuses a model of the wrong kind', () => {
    expect(() => requireModel('text-embedding-v4', 'chat')).toThrow(WrongModelKindError);
  });

  it('quotes no more than a short prefix of an unknown model id in its error', () => {
    const id = 'x'.repeat(1_000_000);
    expect(() => requireModel(id, 'chat')).toThrow(UnknownModelError);
    try {
      requireModel(id, 'chat');
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(1_000);
      expect((e as Error).message).toContain('(1000000 chars)');
    }
  });
});
