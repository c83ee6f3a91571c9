import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('logger', () => {
  it('writes JSON lines with child keys and redacts secrets by key', () => {
    const lines: string[] = [];
    const log = createLogger('info', { fn: 'chat-stream' }, (l) => lines.push(l)).child({ requestId: 'r1' });
    log.info('done', { status: 200, headers: { authorization: 'Bearer sk-abc', accept: '*/*' }, apiKey: 'sk-abc' });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'info', msg: 'done', fn: 'chat-stream', requestId: 'r1', status: 200, headers: { authorization: '[redacted]', accept: '*/*' }, apiKey: '[redacted]' });
    expect(lines[0]).not.toContain('sk-abc');
  });

  it('does not leak child keys into the parent', () => {
    const lines: string[] = [];
    const parent = createLogger('info', {}, (l) => lines.push(l));
    parent.child({ taskId: 't1' }).info('a');
    parent.info('b');
    expect(JSON.parse(lines[1]!).taskId).toBeUndefined();
  });
});
