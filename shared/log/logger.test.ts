import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_STRING } from './logger.ts';

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

  it("lets a line's fields override child keys, logs errors as name, message and code, and redacts nested secrets", () => {
    const lines: string[] = [];
    const log = createLogger('info', { fn: 'a', token: 'sk-base' }, (l) => lines.push(l)).child({ requestId: 'r1' });
    const err = Object.assign(new Error('boom'), { code: 'E_X', secret: 'sk-err' });
    log.error('failed', { fn: 'b', error: err, nested: { deeper: { password: 'hunter2', ok: 1 } }, list: [{ apiKey: 'sk-list' }] });
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'error', msg: 'failed', fn: 'b', requestId: 'r1', token: '[redacted]' });
    expect(rec.error).toEqual({ name: 'Error', message: 'boom', code: 'E_X' });
    expect(rec.nested).toEqual({ deeper: { password: '[redacted]', ok: 1 } });
    expect(rec.list).toEqual([{ apiKey: '[redacted]' }]);
    expect(lines[0]).not.toMatch(/sk-|hunter2/);
  });

  it('cuts every string longer than MAX_LOG_STRING, in fields, nested values, error messages and the message, and marks the cut', () => {
    const lines: string[] = [];
    const huge = 'm'.repeat(7_000_000);
    const log = createLogger('info', { path: huge }, (l) => lines.push(l));
    log.warn(huge, { model: huge, nested: { list: [huge] }, err: new Error(huge), short: 'kept' });
    expect(lines[0]!.length).toBeLessThan(8 * MAX_LOG_STRING);
    const rec = JSON.parse(lines[0]!);
    expect(rec.model).toBe(`${'m'.repeat(MAX_LOG_STRING)}…[truncated ${7_000_000 - MAX_LOG_STRING} chars]`);
    expect(rec.nested.list[0]).toContain('…[truncated');
    expect(rec.err.message).toContain('…[truncated');
    expect(rec.msg).toContain('…[truncated');
    expect(rec.path).toContain('…[truncated');
    expect(rec.short).toBe('kept');
  });
});
