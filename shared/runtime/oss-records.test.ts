import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../log/logger.ts';
import { BadEventError } from './fc.ts';
import { handleCreatedObjects } from './oss-records.ts';

const record = (eventName: string, key: string) => ({ eventName, oss: { bucket: { name: 'b' }, object: { key } } });
const event = (...records: ReturnType<typeof record>[]) => Buffer.from(JSON.stringify({ events: records }));
const all = () => true;

describe('handleCreatedObjects', () => {
  it('handles the four object-created events and skips multipart steps, removals and unwanted keys', async () => {
    const seen: string[] = [];
    const out = await handleCreatedObjects(
      event(
        record('ObjectCreated:PutObject', 'in/a.json'),
        record('ObjectCreated:InitiateMultipartUpload', 'in/b.json'),
        record('ObjectCreated:UploadPart', 'in/b.json'),
        record('ObjectCreated:CompleteMultipartUpload', 'in/b.json'),
        record('ObjectCreated:PostObject', 'in/c.json'),
        record('ObjectCreated:CopyObject', 'in/d.json'),
        record('ObjectRemoved:DeleteObject', 'in/e.json'),
        record('ObjectCreated:PutObject', 'elsewhere/f.json'),
      ),
      silentLogger,
      (key) => key.startsWith('in/'),
      async (key) => {
        seen.push(key);
        return key.length;
      },
    );
    expect(seen).toEqual(['in/a.json', 'in/b.json', 'in/c.json', 'in/d.json']);
    expect(out).toEqual(seen.map((key) => ({ key, result: key.length })));
  });

  it('hands over keys URL-decoded, and a key that does not decode as it came', async () => {
    const seen: string[] = [];
    await handleCreatedObjects(event(record('ObjectCreated:PutObject', 'in/a%20b.json'), record('ObjectCreated:PutObject', 'in/100%.json')), silentLogger, all, async (key) => void seen.push(key));
    expect(seen).toEqual(['in/a b.json', 'in/100%.json']);
  });

  it('tries every record after one failed, then rethrows that failure as it is', async () => {
    const boom = new Error('store down');
    const seen: string[] = [];
    const run = handleCreatedObjects(event(record('ObjectCreated:PutObject', 'a'), record('ObjectCreated:PutObject', 'b')), silentLogger, all, async (key) => {
      seen.push(key);
      if (key === 'a') throw boom;
    });
    await expect(run).rejects.toBe(boom);
    expect(seen).toEqual(['a', 'b']);
  });

  it('fails with one AggregateError naming every key that failed, and logs each failure with its key', async () => {
    const lines: string[] = [];
    const log = createLogger('info', {}, (l) => lines.push(l));
    const run = handleCreatedObjects(event(record('ObjectCreated:PutObject', 'a'), record('ObjectCreated:PutObject', 'b'), record('ObjectCreated:PutObject', 'c')), log, all, async (key) => {
      if (key !== 'b') throw new Error(`no ${key}`);
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).message).toBe('2 records failed: a, c');
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['no a', 'no c']);
    expect(lines.map((l) => (JSON.parse(l) as { key: string }).key)).toEqual(['a', 'c']);
  });

  it('refuses a payload that is not an OSS event', async () => {
    await expect(handleCreatedObjects(Buffer.from('{"triggerTime":"x"}'), silentLogger, all, async () => 1)).rejects.toBeInstanceOf(BadEventError);
  });
});
