// The loop every OSS-triggered function runs: each object-created record under the keys it wants, one by one,
// and the invocation fails if any record failed, so FC delivers the event again.
import type { Logger } from '../log/logger.ts';
import { ossEventSchema, parseEvent } from './fc.ts';

/**
 * The event names of a finished object, as FC delivers them (the trigger config spells them `oss:…`); never a
 * multipart part upload.
 */
export const OBJECT_CREATED_EVENTS = [
  'ObjectCreated:PutObject',
  'ObjectCreated:PostObject',
  'ObjectCreated:CompleteMultipartUpload',
  'ObjectCreated:CopyObject',
] as const;
const CREATED: ReadonlySet<string> = new Set(OBJECT_CREATED_EVENTS);

/** An object key as OSS delivers it: possibly URL-encoded (keys of ours never contain '%'). */
export function decodeObjectKey(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export interface RecordOutcome<T> {
  key: string;
  result: T;
}

/**
 * Runs `handle` for each created object whose decoded key `wants` accepts, in the event's order. Every record
 * is tried even after one fails; then one failure is rethrown as it is, several as an AggregateError naming
 * their keys. Records that are not wanted are logged at debug and skipped.
 */
export async function handleCreatedObjects<T>(
  event: Buffer | string,
  log: Logger,
  wants: (key: string) => boolean,
  handle: (key: string, log: Logger) => Promise<T>,
): Promise<RecordOutcome<T>[]> {
  const parsed = parseEvent(event, ossEventSchema);
  const handled: RecordOutcome<T>[] = [];
  const failures: { key: string; error: unknown }[] = [];
  for (const record of parsed.events) {
    const key = decodeObjectKey(record.oss.object.key);
    if (!CREATED.has(record.eventName) || !wants(key)) {
      log.debug('record ignored', { eventName: record.eventName.slice(0, 64), key: key.slice(0, 256) });
      continue;
    }
    const l = log.child({ key });
    try {
      handled.push({ key, result: await handle(key, l) });
    } catch (error) {
      l.error('record failed; the event will be delivered again', { error });
      failures.push({ key, error });
    }
  }
  if (failures.length === 1) throw failures[0]!.error;
  if (failures.length > 1) throw new AggregateError(failures.map((f) => f.error), `${failures.length} records failed: ${failures.map((f) => f.key).join(', ')}`);
  return handled;
}
