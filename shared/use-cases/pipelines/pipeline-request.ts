// What an app may send to `POST /v1/pipelines`: a topic (trimmed, 1-200 characters, one line), and optionally
// the article's language and style from fixed lists. Every refusal names the field and creates nothing.
import { PIPELINE_LANGUAGES, PIPELINE_STYLES, type PipelineLanguage, type PipelineStyle } from '../../domain/pipeline.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';

export const TOPIC_MAX_CHARS = 200;
/** A pipeline request is a few hundred bytes; anything much larger is refused before it is parsed. */
export const PIPELINE_MAX_BODY_BYTES = 8 * 1024;
const FIELDS = ['topic', 'language', 'style'] as const;

export interface PipelineRequest {
  topic: string;
  language: PipelineLanguage;
  style: PipelineStyle;
}

const bad = (code: string, message: string, param?: string) => new InvalidRequestError(code, message, param);

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw bad('invalid_request', `${field}: must be a string, one of ${allowed.join(', ')}`, field);
  if (!(allowed as readonly string[]).includes(value)) throw bad(`invalid_${field}`, `${field}: unknown ${field} '${clip(value, 40)}'; use one of ${allowed.join(', ')}`, field);
  return value as T;
}

export function parsePipelineRequest(body: unknown): PipelineRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('invalid_request', 'body: expected a JSON object');
  for (const key of Object.keys(body)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw bad('invalid_request', `unknown field '${clip(key, 40)}'; a pipeline takes ${FIELDS.join(', ')}`, clip(key, 40));
  }
  const b = body as Record<string, unknown>;
  if (b.topic === undefined) throw bad('invalid_topic', 'topic: required', 'topic');
  if (typeof b.topic !== 'string') throw bad('invalid_topic', 'topic: must be a string', 'topic');
  // one line: newlines and other control characters would end up in prompts and file headings
  const topic = b.topic.replace(/\s+/g, ' ').trim();
  if (!topic) throw bad('invalid_topic', 'topic: must not be empty or only whitespace', 'topic');
  if ([...topic].length > TOPIC_MAX_CHARS) throw bad('invalid_topic', `topic: must be at most ${TOPIC_MAX_CHARS} characters`, 'topic');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(topic)) throw bad('invalid_topic', 'topic: must not contain control characters', 'topic');
  const language = oneOf(b.language, 'language', Object.keys(PIPELINE_LANGUAGES) as PipelineLanguage[], 'en');
  const style = oneOf(b.style, 'style', Object.keys(PIPELINE_STYLES) as PipelineStyle[], 'informative');
  return { topic, language, style };
}
