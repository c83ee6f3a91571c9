// The Pipeline: a topic turned into an article, an illustration and a narration of its introduction, step by
// step. Pure data, the steps' order, and what the article becomes (Markdown, the prompt, the narrated text).

export const PIPELINE_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

/** In order: the article, the prompt derived from it, then the two media tasks, side by side. */
export const PIPELINE_STEPS = ['article', 'illustration-prompt', 'illustration', 'narration'] as const;
export type PipelineStepName = (typeof PIPELINE_STEPS)[number];
export type MediaStepName = Extract<PipelineStepName, 'illustration' | 'narration'>;
export const MEDIA_STEPS: readonly MediaStepName[] = ['illustration', 'narration'];

export const STEP_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Languages an article may be written (and narrated) in, by code, with the speech model's name for each. */
export const PIPELINE_LANGUAGES = {
  en: 'English',
  zh: 'Chinese',
  de: 'German',
  fr: 'French',
  es: 'Spanish',
  it: 'Italian',
  pt: 'Portuguese',
  ja: 'Japanese',
  ko: 'Korean',
  ru: 'Russian',
} as const;
export type PipelineLanguage = keyof typeof PIPELINE_LANGUAGES;

/** How the article is written, and the illustration drawn. */
export const PIPELINE_STYLES = {
  informative: { writing: 'clear and informative, for a general audience', drawing: 'clean editorial illustration' },
  conversational: { writing: 'warm and conversational, addressing the reader directly', drawing: 'friendly hand-drawn illustration' },
  academic: { writing: 'precise and academic, with careful definitions', drawing: 'detailed scientific plate' },
  playful: { writing: 'playful and vivid, with concrete examples', drawing: 'bright whimsical cartoon' },
} as const;
export type PipelineStyle = keyof typeof PIPELINE_STYLES;

export interface PipelineError {
  /** The step that failed. */
  step: PipelineStepName;
  code: string;
  message: string;
}

export interface PipelineStep {
  name: PipelineStepName;
  status: StepStatus;
  /** The media task of an illustration or narration step, once submitted. */
  taskId?: string;
  error?: PipelineError;
  /** Attempts of the article step that failed transiently (each one retried later). */
  attempts: number;
  /** While the article is being written: who writes it, and until when nobody else may. */
  leaseOwner?: string;
  leaseUntil?: string;
  startedAt?: string;
  finishedAt?: string;
}

export const OUTPUT_NAMES = ['article', 'illustration', 'narration'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** One file of a completed pipeline, kept under `pipelines/{id}/`. */
export interface PipelineOutput {
  name: OutputName;
  key: string;
  contentType: string;
  bytes: number;
  sha256: string;
}

export interface ArticleSection {
  heading: string;
  body: string;
}

/** The article as the model wrote it. */
export interface Article {
  title: string;
  introduction: string;
  sections: ArticleSection[];
  conclusion: string;
}

export interface Pipeline {
  id: string;
  /** Who asked for it: only that tenant (and admins) see it, and its article is billed to it. */
  tenant: string;
  topic: string;
  language: PipelineLanguage;
  style: PipelineStyle;
  status: PipelineStatus;
  /** One per PIPELINE_STEPS entry, in that order. */
  steps: PipelineStep[];
  article?: Article;
  illustrationPrompt?: string;
  outputs: PipelineOutput[];
  error?: PipelineError;
  /** 1 after the first write, +1 on every write. */
  version: number;
  /** When the timer's sweep looks at it next if no event moved it (absent once it is finished). */
  dueAt?: string;
  createdAt: string;
  updatedAt: string;
}

export const isFinished = (status: PipelineStatus): boolean => status === 'COMPLETED' || status === 'FAILED';

export function stepOf(p: Pipeline, name: PipelineStepName): PipelineStep {
  const s = p.steps.find((x) => x.name === name);
  if (!s) throw new Error(`pipeline ${p.id} has no step ${name}`);
  return s;
}

/** The pipeline with one step replaced (steps are never added or removed). */
export function withStep(p: Pipeline, name: PipelineStepName, change: (s: PipelineStep) => PipelineStep): Pipeline {
  return { ...p, steps: p.steps.map((s) => (s.name === name ? change(s) : s)) };
}

export const initialSteps = (): PipelineStep[] => PIPELINE_STEPS.map((name) => ({ name, status: 'PENDING', attempts: 0 }));

/** Where a pipeline's files live in the bucket. */
export const PIPELINES_PREFIX = 'pipelines/';
export const outputKey = (pipelineId: string, name: OutputName): string =>
  `${PIPELINES_PREFIX}${pipelineId}/${name === 'article' ? 'article.md' : name === 'illustration' ? 'illustration.png' : 'narration.wav'}`;

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The article as Markdown: the title, the introduction, a heading per section, and the conclusion. */
export function articleMarkdown(a: Article): string {
  const parts = [`# ${oneLine(a.title)}`, a.introduction.trim()];
  for (const s of a.sections) parts.push(`## ${oneLine(s.heading)}`, s.body.trim());
  parts.push('## Conclusion', a.conclusion.trim());
  return `${parts.join('\n\n')}\n`;
}

/** Longest illustration prompt (the image models take 2,000 characters; this leaves room). */
export const ILLUSTRATION_PROMPT_MAX = 800;

/**
 * The illustration prompt, derived from the article without another model call: its title, the gist of its
 * introduction (first sentence), its section headings and the style's way of drawing. Deterministic, so a
 * retried step asks for the very same picture.
 */
export function illustrationPromptOf(a: Article, style: PipelineStyle): string {
  const firstSentence = oneLine(a.introduction).split(/(?<=[.!?。！？])\s*/)[0] ?? '';
  const headings = a.sections.map((s) => oneLine(s.heading)).filter(Boolean).slice(0, 4).join('; ');
  const text = `${PIPELINE_STYLES[style].drawing} for an article titled "${oneLine(a.title)}". ${firstSentence}${headings ? ` Themes: ${headings}.` : ''} No text or letters in the image.`;
  return text.length <= ILLUSTRATION_PROMPT_MAX ? text : `${text.slice(0, ILLUSTRATION_PROMPT_MAX - 1)}…`;
}

/** Longest narration: a few paragraphs (speech tasks split a longer text into parts the model accepts). */
export const NARRATION_MAX_CHARS = 2_000;

/** What the narration reads: the introduction, cut at the last sentence end that fits. */
export function narrationTextOf(a: Article): string {
  const text = oneLine(a.introduction);
  if (text.length <= NARRATION_MAX_CHARS) return text;
  const head = text.slice(0, NARRATION_MAX_CHARS);
  const end = Math.max(...['.', '!', '?', '。', '！', '？'].map((c) => head.lastIndexOf(c)));
  return end > NARRATION_MAX_CHARS / 3 ? head.slice(0, end + 1) : head;
}
