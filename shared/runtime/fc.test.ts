import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../json/parse-json.ts';
import { BadEventError, ossEventSchema, parseEvent } from './fc.ts';

const record = (extra: unknown) => ({ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'b' }, object: { key: 'inbox/a.json' } }, extra });

describe('parseEvent', () => {
  it('refuses an event nested 5,000 deep with a BadEventError that names the limit', () => {
    const deep = JSON.stringify({ events: [record(0)] }).replace('"extra":0', `"extra":${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    expect(() => parseEvent(Buffer.from(deep), ossEventSchema)).toThrow(BadEventError);
    expect(() => parseEvent(deep, ossEventSchema)).toThrow(`more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('still reads an ordinary OSS event', () => {
    const event = parseEvent(JSON.stringify({ events: [record([[1]])] }), ossEventSchema);
    expect(event.events[0]?.oss.object.key).toBe('inbox/a.json');
  });
});
