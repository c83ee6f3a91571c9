// The pipeline's pure parts: the article's Markdown, the illustration prompt derived from it, and the narrated text.
import { describe, expect, it } from 'vitest';
import { articleMarkdown, ILLUSTRATION_PROMPT_MAX, illustrationPromptOf, NARRATION_MAX_CHARS, narrationTextOf, outputKey, type Article } from './pipeline.ts';

const article: Article = {
  title: 'The  history\nof tea',
  introduction: 'Tea began in China. It spread along trade routes! Today it is everywhere.',
  sections: [
    { heading: 'Origins', body: 'Legends speak of an emperor.\n\nLeaves fell into his water.' },
    { heading: 'Trade', body: 'Caravans carried bricks of tea.' },
  ],
  conclusion: 'A leaf that changed the world.',
};

describe('the pipeline article', () => {
  it('is Markdown: the title as one heading line, the introduction, a heading per section, then the conclusion', () => {
    expect(articleMarkdown(article)).toBe(
      '# The history of tea\n\nTea began in China. It spread along trade routes! Today it is everywhere.\n\n## Origins\n\nLegends speak of an emperor.\n\nLeaves fell into his water.\n\n## Trade\n\nCaravans carried bricks of tea.\n\n## Conclusion\n\nA leaf that changed the world.\n',
    );
  });

  it("derives the illustration prompt from the title, the introduction's first sentence, the headings and the style", () => {
    const prompt = illustrationPromptOf(article, 'playful');
    expect(prompt).toBe('bright whimsical cartoon for an article titled "The history of tea". Tea began in China. Themes: Origins; Trade. No text or letters in the image.');
    expect(illustrationPromptOf(article, 'playful')).toBe(prompt);
    const long = illustrationPromptOf({ ...article, title: 'x'.repeat(2_000) }, 'academic');
    expect(long.length).toBe(ILLUSTRATION_PROMPT_MAX);
    expect(long.endsWith('…')).toBe(true);
  });

  it('narrates the introduction, cut at the last sentence end that fits when it is long', () => {
    expect(narrationTextOf(article)).toBe(article.introduction);
    const sentence = 'This sentence is exactly fifty characters long ok. ';
    const text = narrationTextOf({ ...article, introduction: sentence.repeat(60) });
    expect(text.length).toBeLessThanOrEqual(NARRATION_MAX_CHARS);
    expect(text.endsWith('ok.')).toBe(true);
  });

  it('keeps its files under pipelines/{id}/ with fixed names', () => {
    expect(['article', 'illustration', 'narration'].map((n) => outputKey('pipe_1', n as 'article'))).toEqual(['pipelines/pipe_1/article.md', 'pipelines/pipe_1/illustration.png', 'pipelines/pipe_1/narration.wav']);
  });
});
