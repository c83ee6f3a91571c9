import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJson } from './body.ts';
import { validate } from '../validation/validate.ts';
import { toErrorResponse } from './error-table.ts';
import { HttpError } from './errors.ts';
import { sendError, sendJson } from './respond.ts';
import { matchRoute, requireRoute } from './router.ts';

describe('matchRoute', () => {
  const routes = [
    { method: 'GET', path: '/v1/tasks/:id' },
    { method: 'DELETE', path: '/v1/tasks/:id' },
    { method: 'POST', path: '/v1/tasks' },
  ] as const;

  it('matches params and decodes them', () => {
    const r = matchRoute(routes, 'GET', '/v1/tasks/task_a%2Db');
    expect(r).toEqual({ kind: 'match', match: { route: routes[0], params: { id: 'task_a-b' } } });
  });
  it('answers method-not-allowed with the allowed methods', () => {
    expect(matchRoute(routes, 'PUT', '/v1/tasks/x')).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'DELETE'] });
  });
  it('answers not-found for unknown paths and empty params', () => {
    expect(matchRoute(routes, 'GET', '/v1/other').kind).toBe('not-found');
    expect(matchRoute(routes, 'GET', '/v1/tasks/').kind).not.toBe('match');
  });
});

describe('toErrorResponse', () => {
  it('shows 4xx messages and hides 5xx ones behind the request id', () => {
    const bad = toErrorResponse(new HttpError(400, 'invalid_request', 'messages: required', { param: 'messages' }), 'req-1');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: 'messages: required', type: 'invalid_request_error', param: 'messages', request_id: 'req-1' } } });
    const internal = toErrorResponse(new Error('ECONNRESET at 10.0.0.1 with key sk-123'), 'req-2');
    expect(internal.status).toBe(500);
    expect(internal.body.error.message).not.toContain('sk-123');
    expect(internal.body.error.message).toContain('req-2');
  });
});

describe('readJson and validate', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function post(body: string | Buffer, headers: Record<string, string>, max = 64): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
    server = createServer((req, res) => {
      readJson(req, max)
        .then((v) => sendJson(res, 200, { got: validate(z.object({ n: z.number().int() }), v) }))
        .catch((e: unknown) => sendError(res, e, 'rid'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body, headers });
    return { status: res.status, json: (await res.json()) as never };
  }

  it('parses and validates a JSON body', async () => {
    expect(await post('{"n":3}', { 'content-type': 'application/json' })).toEqual({ status: 200, json: { got: { n: 3 } } });
  });
  it('refuses malformed JSON with 400 invalid_json', async () => {
    const r = await post('{"n":', { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe('invalid_json');
  });
  it('refuses another content type with 415', async () => {
    expect((await post('n=3', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  });
  it('refuses a body over the cap with 413', async () => {
    const r = await post(Buffer.alloc(1000, 32), { 'content-type': 'application/json' });
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe('request_too_large');
  });
  it('reassembles a body that arrives in several pieces', async () => {
    server = createServer((req, res) => {
      readJson(req, 1 << 20)
        .then((v) => sendJson(res, 200, v))
        .catch((e: unknown) => sendError(res, e, 'rid'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const text = JSON.stringify({ s: 'x'.repeat(200_000), t: '你好' });
    const bytes = Buffer.from(text);
    const pieces = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 7_001) c.enqueue(bytes.subarray(i, i + 7_001));
        c.close();
      },
    });
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body: pieces, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(text);
  });

  /** A server answering each request with the JSON it read, and a raw client socket to it. */
  async function echoServer(): Promise<{ socket: Socket; answers: () => Promise<string>; requested: () => Promise<void> }> {
    // resolved when the server has seen a request's head (its body may not be in yet)
    let seen: (() => void) | undefined;
    const requested = () => new Promise<void>((r) => (seen = r));
    server = createServer((req, res) => {
      seen?.();
      readJson(req, 1 << 20)
        .then((v) => sendJson(res, 200, v))
        .catch((e: unknown) => sendError(res, e, 'rid'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    return { socket, answers: () => new Promise((r) => socket.once('end', () => r(text))), requested };
  }
  const raw = (json: string, extra = '') => `POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n${extra}\r\n${json}`;
  const bodiesOf = (answers: string) => [...answers.matchAll(/\r\n\r\n(\{[^\r]*\})/g)].map((m) => m[1]);

  it('reads bodies that come with their headers, several requests in one packet on one connection', async () => {
    const { socket, answers } = await echoServer();
    socket.write(raw('{"n":1}') + raw('{"n":2,"s":"你好"}') + raw('{"n":3}', 'connection: close\r\n'));
    expect(bodiesOf(await answers())).toEqual(['{"n":1}', '{"n":2,"s":"你好"}', '{"n":3}']);
  });

  it('reads a body that comes after its headers, and the connection serves the next request', async () => {
    const { socket, answers, requested } = await echoServer();
    const head = raw('{"n":1,"late":true}');
    const cut = head.indexOf('\r\n\r\n') + 4;
    const first = requested();
    socket.write(head.slice(0, cut));
    // the server is reading this request's body before any of it has arrived
    await first;
    socket.write(head.slice(cut, cut + 5));
    socket.write(head.slice(cut + 5));
    socket.write(raw('{"n":2}', 'connection: close\r\n'));
    expect(bodiesOf(await answers())).toEqual(['{"n":1,"late":true}', '{"n":2}']);
  });

  it('rejects, rather than waiting for ever, when the client leaves before the body is complete', async () => {
    const client: { socket?: Socket } = {};
    const outcome = new Promise<unknown>((resolve) => {
      server = createServer((req) => {
        void readJson(req, 1 << 20).then(() => resolve('resolved'), resolve);
        // the request is in and its body is not: the client leaves now
        client.socket?.destroy();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    client.socket = connect((server!.address() as AddressInfo).port, '127.0.0.1');
    client.socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"n":');
    const err = await outcome;
    // node reports the reset as an 'aborted' error; a close without one is refused as request_aborted
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|request_aborted)$/) });
  });

  it('names the invalid field', async () => {
    const r = await post('{"n":"three"}', { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.json.error?.message).toMatch(/^n: /);
  });
});

describe('requireRoute', () => {
  const routes = [{ method: 'GET', path: '/v1/tasks/:id' }] as const;
  it('returns the match or throws the public 404/405 errors', () => {
    expect(requireRoute(routes, 'GET', '/v1/tasks/t1').params).toEqual({ id: 't1' });
    expect(() => requireRoute(routes, 'GET', '/nope')).toThrow(expect.objectContaining({ statusCode: 404, code: 'not_found' }));
    expect(() => requireRoute(routes, 'POST', '/v1/tasks/t1')).toThrow(expect.objectContaining({ statusCode: 405, code: 'method_not_allowed', extra: { headers: { allow: 'GET' } } }));
  });
});
