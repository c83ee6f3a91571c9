// Where a failed asynchronous invocation is kept: `dead-letters/{yyyy}/{mm}/{dd}/{requestId}.json`, the day it
// arrived and the invocation that brought it (see shared/use-cases/dead-letters/keep-dead-letter.ts).

export const DEAD_LETTERS_PREFIX = 'dead-letters/';

export function deadLetterKey(at: Date, requestId: string): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  const safeId = requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128) || 'unknown';
  return `${DEAD_LETTERS_PREFIX}${day}/${safeId}.json`;
}
