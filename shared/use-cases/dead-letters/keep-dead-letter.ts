// keepDeadLetter: FC hands poll-task the record of an asynchronous invocation that failed every retry (an inbox
// upload, a result manifest); it is kept as-is under `dead-letters/` in the bucket and logged, never dropped.
import type { Clock } from '../../ports/clock.ts';
import { MAX_LOG_STRING, type Logger } from '../../log/logger.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import { deadLetterKey } from '../../domain/dead-letter.ts';

/** FC's async payload limit is 128 KB (256 KB by ticket): a record larger than this is not one of FC's. */
export const MAX_DEAD_LETTER_BYTES = 512 * 1024;

export interface DeadLetterDeps {
  objects: ObjectStore;
  clock: Clock;
  logger: Logger;
}

/** What a log line may say of a record: the failed function and its error, if the record names them. */
function summary(record: Buffer): Record<string, string> {
  const text = record.toString('utf8', 0, Math.min(record.length, 64 * 1024));
  const pick = (name: string): string | undefined => new RegExp(`"${name}"\\s*:\\s*"([^"]{1,200})"`).exec(text)?.[1];
  const out: Record<string, string> = {};
  for (const name of ['functionArn', 'functionName', 'errorType', 'errorMessage', 'condition']) {
    const v = pick(name);
    if (v) out[name] = v;
  }
  return out;
}

export async function keepDeadLetter(deps: DeadLetterDeps, record: Buffer, requestId: string): Promise<{ key: string; bytes: number }> {
  const body = record.length > MAX_DEAD_LETTER_BYTES ? record.subarray(0, MAX_DEAD_LETTER_BYTES) : record;
  const key = deadLetterKey(deps.clock.now(), requestId);
  // the same invocation delivered twice writes the same key: the record is the same, so overwriting is harmless
  try {
    await deps.objects.put(key, body, { contentType: 'application/json', metadata: { truncated: String(body.length < record.length) } });
  } catch (e) {
    // poll-task's invocations are not retried: when the bucket refuses, the log line (the record's first 2 KB,
    // as much as the logger keeps of a string) is what is left of it
    deps.logger.error('a failed invocation could not be kept as a dead letter', { key, bytes: record.length, ...summary(record), record: record.toString('utf8', 0, Math.min(record.length, MAX_LOG_STRING)), error: e });
    throw e;
  }
  deps.logger.error('a failed invocation was kept as a dead letter', { key, bytes: record.length, ...summary(record) });
  return { key, bytes: record.length };
}
