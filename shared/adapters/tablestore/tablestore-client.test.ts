// How the client reads Table Store's answers: the protobuf Error when there is one, the status otherwise; and what a
// scripted endpoint that answers garbage, stays silent or hangs up turns into (an OtsError, never a crash).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { errorFromAnswer, OtsError, TablestoreClient, type TablestoreClientOptions } from './tablestore-client.ts';
import { encodePutRow } from './ots-wire/plain-buffer.ts';
import { ProtoWriter } from './ots-wire/protobuf.ts';

const errorBody = (code: string, message: string) => new ProtoWriter().string(1, code).string(2, message).finish();

describe('errorFromAnswer', () => {
  it('decodes the protobuf Error of a 403 into the service code and message', () => {
    const e = errorFromAnswer(403, errorBody('OTSConditionCheckFail', 'Condition check failed.'), 'req-1');
    expect(e).toMatchObject({ code: 'OTSConditionCheckFail', message: 'Condition check failed.', httpStatus: 403, requestId: 'req-1', conditionFailed: true, ambiguous: false });
  });

  it('treats throttling as not applied, and a 5xx as ambiguous', () => {
    expect(errorFromAnswer(503, errorBody('OTSServerBusy', 'busy'), 'r')).toMatchObject({ code: 'OTSServerBusy', rejected: true, ambiguous: false });
    expect(errorFromAnswer(403, errorBody('OTSOperationThrottled', 'slow down'), 'r')).toMatchObject({ rejected: true, ambiguous: false });
    expect(errorFromAnswer(500, errorBody('OTSInternalServerError', 'x'), 'r')).toMatchObject({ rejected: false, ambiguous: true });
  });

  it('keeps the status of an answer with no body, and of one that is not protobuf, showing a printable prefix', () => {
    expect(errorFromAnswer(403, Buffer.alloc(0), 'r')).toMatchObject({ code: 'HTTP403', httpStatus: 403, ambiguous: false, message: 'Table Store answered 403 with no body' });
    const page = errorFromAnswer(502, Buffer.from('<html>Bad Gateway</html>'), undefined);
    expect(page).toMatchObject({ code: 'HTTP502', httpStatus: 502, ambiguous: true, message: 'Table Store answered 502: <html>Bad Gateway</html>' });
  });

  it('does not take text that happens to parse as protobuf for an Error', () => {
    // field 1 holds "x y": valid protobuf, but no service code looks like that
    expect(errorFromAnswer(400, errorBody('x y', 'z'), 'r').code).toBe('HTTP400');
  });

  it('counts a lost or unreadable answer as ambiguous, and a client bug as neither', () => {
    expect(new OtsError('NetworkError', 'gone', undefined, undefined)).toMatchObject({ ambiguous: true, rejected: false });
    expect(new OtsError('BadResponse', 'garbled', 200, 'r')).toMatchObject({ ambiguous: true, rejected: false });
    expect(new OtsError('ClientError', 'bug', undefined, undefined)).toMatchObject({ ambiguous: false, rejected: false });
  });
});

/** A scripted endpoint: each request gets the next handler (the last one repeats). */
async function scripted(...handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.url ?? '');
      (handlers[Math.min(seen.length, handlers.length) - 1] ?? handlers[0]!)(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = (o: Partial<TablestoreClientOptions> = {}) => new TablestoreClient({ endpoint, instance: 'i', credentials: () => ({ accessKeyId: 'LTAI-fake', accessKeySecret: 'fake' }), ...o });
  return { seen, client, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}
const answer = (status: number, body: Buffer) => (_req: IncomingMessage, res: ServerResponse) => res.writeHead(status, { 'x-ots-requestid': 'rid' }).end(body);
const getRowAnswer = (row: Buffer) => new ProtoWriter().message(1, new ProtoWriter().message(1, new ProtoWriter().int32(1, 1))).bytes(2, row).finish();

describe('TablestoreClient on the wire', () => {
  let s: Awaited<ReturnType<typeof scripted>> | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('reads a row, and a missing one as undefined', async () => {
    s = await scripted(answer(200, getRowAnswer(encodePutRow([['id', 'a']], [['v', 3n], ['d', 0.5]]))), answer(200, getRowAnswer(Buffer.alloc(0))));
    expect(await s.client().getRow('t', [['id', 'a']])).toEqual({ key: { id: 'a' }, columns: { v: 3n, d: 0.5 } });
    expect(await s.client().getRow('t', [['id', 'b']])).toBeUndefined();
    expect(s.seen).toEqual(['/GetRow', '/GetRow']);
  });

  it('turns a truncated or garbled answer into BadResponse, retried for a read, never a crash', async () => {
    const good = getRowAnswer(encodePutRow([['id', 'a']], [['v', 3n]]));
    s = await scripted(answer(200, good.subarray(0, good.length - 4)), answer(200, Buffer.from('<html>ok</html>')), answer(200, good));
    expect(await s.client().getRow('t', [['id', 'a']])).toEqual({ key: { id: 'a' }, columns: { v: 3n } });
    expect(s.seen).toHaveLength(3);
    await s.close();
    s = await scripted(answer(200, good.subarray(0, good.length - 4)));
    const err = await s.client({ maxAttempts: 1 }).getRow('t', [['id', 'a']]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OtsError);
    expect(err).toMatchObject({ code: 'BadResponse', httpStatus: 200, requestId: 'rid', ambiguous: true });
  });

  it('decodes OTSObjectNotExist, and answers describeTable of a missing table with undefined', async () => {
    const missing = new ProtoWriter().string(1, 'OTSObjectNotExist').string(2, 'Requested table does not exist.').finish();
    s = await scripted(answer(404, missing));
    await expect(s.client().getRow('nope', [['id', 'a']])).rejects.toMatchObject({ code: 'OTSObjectNotExist', httpStatus: 404, rejected: false, ambiguous: false });
    expect(await s.client().describeTable('nope')).toBeUndefined();
    expect(s.seen).toEqual(['/GetRow', '/DescribeTable']);
  });

  it('gives a write answered with a 5xx back at once as ambiguous, and sends a throttled one again', async () => {
    const err = new ProtoWriter().string(1, 'OTSInternalServerError').string(2, 'x').finish();
    s = await scripted(answer(500, err));
    await expect(s.client().putRow('t', [['id', 'a']], {}, { row: 'IGNORE' })).rejects.toMatchObject({ code: 'OTSInternalServerError', ambiguous: true });
    expect(s.seen).toEqual(['/PutRow']);
    await s.close();
    const throttled = new ProtoWriter().string(1, 'OTSOperationThrottled').string(2, 'slow').finish();
    s = await scripted(answer(403, throttled), answer(200, Buffer.alloc(0)));
    await s.client().putRow('t', [['id', 'a']], {}, { row: 'IGNORE' });
    expect(s.seen).toEqual(['/PutRow', '/PutRow']);
  });

  it('fails a silent endpoint with NetworkError after the timeout: a write once, a read up to maxAttempts', async () => {
    s = await scripted(() => {});
    await expect(s.client({ timeoutMs: 100 }).updateRow('t', [['id', 'a']], { put: { v: 1n } }, { row: 'IGNORE' })).rejects.toMatchObject({ code: 'NetworkError', ambiguous: true });
    expect(s.seen).toEqual(['/UpdateRow']);
    await expect(s.client({ timeoutMs: 100, maxAttempts: 2 }).getRow('t', [['id', 'a']])).rejects.toMatchObject({ code: 'NetworkError' });
    expect(s.seen).toEqual(['/UpdateRow', '/GetRow', '/GetRow']);
  });

  it('fails an answer cut off mid-body with NetworkError', async () => {
    s = await scripted((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(Buffer.alloc(10));
      setTimeout(() => res.destroy(), 20);
    });
    await expect(s.client({ maxAttempts: 1 }).getRow('t', [['id', 'a']])).rejects.toMatchObject({ code: 'NetworkError', ambiguous: true });
  });
});
