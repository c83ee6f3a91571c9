// The fine-tune training data check (ChatML JSONL, one example per line), pure: the same report for the CLI
// (`npm run validate-finetune`), an `inbox/<tenant>/finetune/*.jsonl` upload and `POST /v1/fine-tunes`.
import { createHash } from 'node:crypto';
import { estimateTokens } from '../chat/token-estimate.ts';

export interface TrainingIssue {
  /** 1-based line of the file; 0 for the file as a whole. */
  line: number;
  code: string;
  message: string;
}

export interface TrainingReport {
  ok: boolean;
  /** Lines that hold an example (blank lines are not counted). */
  examples: number;
  errors: TrainingIssue[];
  notes: TrainingIssue[];
}

export interface TrainingRules {
  /** Fewer examples than this is an error (DashScope's guidance: at least 50). */
  minExamples: number;
  /** More examples than this is worth a note (training time and cost grow with it). */
  noteAboveExamples: number;
  /** Estimated tokens of one example (every turn's content) above this is an error. */
  maxTokensPerExample: number;
  /** At most this many errors are listed; the rest are counted in a note. */
  maxListedErrors: number;
}

export const DEFAULT_TRAINING_RULES: Readonly<TrainingRules> = {
  minExamples: 50,
  noteAboveExamples: 1_000,
  maxTokensPerExample: 8_192,
  maxListedErrors: 1_000,
};

const ROLES = new Set(['system', 'user', 'assistant']);
const MAX_QUOTED = 60;

const quote = (s: string) => JSON.stringify(s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED)}…` : s);

interface Example {
  system: string | undefined;
  digest: string;
}

/** Checks one line; returns the example it holds, or pushes why it is not one. */
function checkLine(text: string, line: number, rules: TrainingRules, errors: TrainingIssue[]): Example | undefined {
  const fail = (code: string, message: string) => {
    errors.push({ line, code, message });
    return undefined;
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('invalid_json', 'not valid JSON (each line must be one JSON object)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not_an_object', 'the line must be a JSON object with "messages"');
  const messages = (value as { messages?: unknown }).messages;
  if (messages === undefined) return fail('missing_messages', '"messages" is missing');
  if (!Array.isArray(messages) || messages.length === 0) return fail('invalid_messages', '"messages" must be a non-empty array');

  const roles: string[] = [];
  let tokens = 0;
  for (const [i, m] of messages.entries()) {
    const role = (m as { role?: unknown } | null)?.role;
    const content = (m as { content?: unknown } | null)?.content;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      return fail('invalid_role', `messages[${i}].role must be system, user or assistant${typeof role === 'string' ? `, not ${quote(role)}` : ''}`);
    }
    if (typeof content !== 'string' || content.trim() === '') return fail('invalid_content', `messages[${i}].content must be a non-empty string`);
    roles.push(role);
    tokens += estimateTokens(content);
  }
  const firstTurn = roles[0] === 'system' ? 1 : 0;
  for (let i = 0; i < roles.length; i++) {
    if (roles[i] === 'system' && i > 0) return fail('role_order', `messages[${i}]: a system message may only come first`);
    if (i >= firstTurn) {
      const expected = (i - firstTurn) % 2 === 0 ? 'user' : 'assistant';
      if (roles[i] !== expected) return fail('role_order', `messages[${i}] is ${roles[i]} where ${expected} was expected (after an optional system message, user and assistant alternate, user first)`);
    }
  }
  if (!roles.includes('user')) return fail('no_user_turn', 'the example has no user turn');
  if (roles[roles.length - 1] !== 'assistant') return fail('last_not_assistant', 'the last turn must be the assistant\'s (the answer to learn)');
  if (tokens > rules.maxTokensPerExample) return fail('too_long', `about ${tokens} tokens; at most ${rules.maxTokensPerExample} per example`);

  const system = roles[0] === 'system' ? (messages[0] as { content: string }).content : undefined;
  const turns = (messages as { role: string; content: string }[]).map((m) => [m.role, m.content]);
  return { system, digest: createHash('sha256').update(JSON.stringify(turns)).digest('hex') };
}

/** Validates a training file's bytes (UTF-8 JSONL). Errors make it unusable; notes are worth knowing. */
export function validateTrainingData(data: Buffer | string, rules: TrainingRules = DEFAULT_TRAINING_RULES): TrainingReport {
  const text = (typeof data === 'string' ? data : data.toString('utf8')).replace(/^\uFEFF/, '');
  const errors: TrainingIssue[] = [];
  const notes: TrainingIssue[] = [];
  if (text.trim() === '') {
    return { ok: false, examples: 0, errors: [{ line: 0, code: 'empty_file', message: 'the file has no examples' }], notes };
  }
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  let examples = 0;
  let blank = 0;
  const seen = new Map<string, number>();
  let system: { line: number; prompt: string | undefined } | undefined;
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (raw.trim() === '') {
      blank++;
      continue;
    }
    examples++;
    const ex = checkLine(raw, line, rules, errors);
    if (!ex) continue;
    const first = seen.get(ex.digest);
    if (first !== undefined) errors.push({ line, code: 'duplicate_example', message: `the same example as line ${first}` });
    else seen.set(ex.digest, line);
    if (!system) system = { line, prompt: ex.system };
    else if (system.prompt !== ex.system) {
      const what = ex.system === undefined ? 'has no system prompt, unlike' : system.prompt === undefined ? 'has a system prompt, unlike' : 'has a different system prompt from';
      errors.push({ line, code: 'inconsistent_system_prompt', message: `${what} line ${system.line}; use one system prompt for every example (or none)` });
    }
  }
  if (examples < rules.minExamples) {
    errors.push({ line: 0, code: 'too_few_examples', message: `${examples} example${examples === 1 ? '' : 's'}; at least ${rules.minExamples} are needed` });
  }
  if (examples > rules.noteAboveExamples) {
    notes.push({ line: 0, code: 'many_examples', message: `${examples} examples: past ${rules.noteAboveExamples}, training takes longer and costs more (billed per training token)` });
  }
  if (blank > 0) notes.push({ line: 0, code: 'blank_lines', message: `${blank} blank line${blank === 1 ? '' : 's'} skipped` });
  const listed = errors.slice(0, rules.maxListedErrors);
  if (errors.length > listed.length) notes.push({ line: 0, code: 'errors_truncated', message: `${errors.length - listed.length} more errors not listed` });
  return { ok: errors.length === 0, examples, errors: listed, notes };
}
