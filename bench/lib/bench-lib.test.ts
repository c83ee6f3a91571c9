// The bench's own building blocks: nearest-rank percentiles, the noise figure, and the bare proxy that serves as the floor
// (it must stream chunk by chunk and cancel the upstream call when its client leaves, or the floor is wrong).
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createBareProxy } from './bare-proxy.ts';
import { Agent } from 'undici';
import { permutations, roundOrders, runConcurrent, runSequential, type Outcome, type Sample } from './measure.ts';
import { halfSplitSpread, type ScenarioResult } from './report.ts';
import { pairedMedian, percentile, summarize } from './stats.ts';

describe('stats', () => {
  it('takes nearest-rank percentiles, so every figure is an observed sample', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([3, 7], 50)).toBe(3);
    expect(percentile([3, 7], 51)).toBe(7);
    expect(summarize([5, 1, 3]).max).toBe(5);
    expect(Number.isNaN(summarize([]).p50)).toBe(true);
  });

  it('pairs samples by round for the median difference, so a drift shared by both targets cancels', () => {
    // both targets slow down by 10 ms halfway through; b is always 0.25 ms slower than a in the same round
    const a = Array.from({ length: 100 }, (_, round) => ({ round, totalMs: (round < 50 ? 1 : 11) + (round % 7) * 0.01 }));
    const b = a.map((s) => ({ round: s.round, totalMs: s.totalMs + 0.25 }));
    expect(pairedMedian(a, b)).toBeCloseTo(0.25, 10);
    // warm-up samples (no round) and rounds only one target has are left out
    expect(pairedMedian([{ totalMs: 1 }, { round: 1, totalMs: 2 }], [{ totalMs: 9 }, { round: 1, totalMs: 2.5 }, { round: 2, totalMs: 9 }])).toBe(0.5);
    expect(Number.isNaN(pairedMedian([{ round: 1, totalMs: 1 }], [{ round: 2, totalMs: 1 }]))).toBe(true);
  });
});

describe('halfSplitSpread', () => {
  const outcome = (samples: Sample[]): Outcome => ({ samples, errors: 0, sent: samples.length });
  const scenario = (proxy: Sample[]): ScenarioResult => ({
    title: 't',
    outcomes: new Map([
      ['direct', outcome(Array.from({ length: 200 }, () => ({ ttfbMs: 1, totalMs: 1 })))],
      ['bare proxy', outcome(proxy)],
    ]),
    skipped: new Map(),
  });

  it('splits by round, so the stalls of one burst land in one half and show as spread', () => {
    // 20 bursts of 10; every sample of burst 3 stalled: the p99 of the odd rounds holds it, the even rounds' not
    const proxy = Array.from({ length: 200 }, (_, i) => ({ ttfbMs: Math.floor(i / 10) === 3 ? 41 : 3, totalMs: 0, round: Math.floor(i / 10) }));
    const s = halfSplitSpread(scenario(proxy), 'bare proxy');
    expect(s.p50).toBe(1);
    expect(s.p99).toBe(20); // (41 - 1) / (3 - 1)
  });

  it('splits samples without a round by index', () => {
    const proxy = Array.from({ length: 200 }, (_, i) => ({ ttfbMs: i % 2 ? 5 : 3, totalMs: 0 }));
    expect(halfSplitSpread(scenario(proxy), 'bare proxy')).toEqual({ p50: 2, p99: 2 });
  });
});

describe('round orders', () => {
  /** How often target b runs right after target a within a round, keyed "a>b". */
  const follows = (orders: number[][]) => {
    const n = new Map<string, number>();
    for (const o of orders) for (let i = 1; i < o.length; i++) n.set(`${o[i - 1]}>${o[i]}`, (n.get(`${o[i - 1]}>${o[i]}`) ?? 0) + 1);
    return n;
  };

  it('lists every ordering once', () => {
    expect(permutations(1)).toEqual([[0]]);
    const four = permutations(4);
    expect(four).toHaveLength(24);
    expect(new Set(four.map((p) => p.join())).size).toBe(24);
    for (const p of four) expect([...p].sort()).toEqual([0, 1, 2, 3]);
  });

  it('puts every target in every position and right after every other target equally often', () => {
    const orders = roundOrders(4);
    expect(orders).toHaveLength(24);
    for (let pos = 0; pos < 4; pos++) for (let t = 0; t < 4; t++) expect(orders.filter((o) => o[pos] === t)).toHaveLength(6);
    const f = follows(orders);
    expect(f.size).toBe(12); // every ordered pair of distinct targets
    for (const count of f.values()) expect(count).toBe(6);
    // the fixed seed gives the same sequence every run, and not the plain listing
    expect(roundOrders(4)).toEqual(orders);
    expect(orders).not.toEqual(permutations(4));
  });

  it('runs sequential rounds in those orders, so no target always follows the same one', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url!.slice(1));
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {}\n\ndata: [DONE]\n\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dispatcher = new Agent();
    try {
      const targets = ['a', 'b', 'c'].map((name) => ({ name, url: `${base}/${name}`, headers: {} }));
      const out = await runSequential(targets, { dispatcher, stream: true, perTarget: 6, warmup: 0 });
      for (const t of ['a', 'b', 'c']) expect(out.get(t)!.samples.map((s) => s.round)).toEqual([0, 1, 2, 3, 4, 5]);
      const rounds = Array.from({ length: 6 }, (_, r) => seen.slice(r * 3, r * 3 + 3).map((x) => x.charCodeAt(0) - 97));
      expect(rounds).toEqual(roundOrders(3));
      for (const count of follows(rounds).values()) expect(count).toBe(2);
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('request body', () => {
  it('sends the body given to every target, one at a time and concurrently', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dispatcher = new Agent();
    try {
      const targets = ['a', 'b'].map((name) => ({ name, url: `${base}/${name}`, headers: {} }));
      const body = JSON.stringify({ model: 'qwen-plus', max_tokens: 64, messages: [] });
      await runSequential(targets, { dispatcher, stream: false, perTarget: 2, warmup: 1, body });
      await runConcurrent(targets, { dispatcher, stream: false, perTarget: 4, warmup: 0, body, concurrency: 2, perWorker: 2, minBurstMs: 1 });
      expect(bodies).toHaveLength(6 + 2 * 4 + 2 * 2);
      expect(new Set(bodies)).toEqual(new Set([body]));
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('bare proxy', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const listen = async (s: Server) => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  it('forwards method, path, headers and body, and the answer back', async () => {
    const upstream = await listen(
      createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => res.writeHead(201, { 'x-up': 'yes' }).end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, body })));
      }),
    );
    const proxy = await listen(createBareProxy(upstream));
    const res = await request(`${proxy}/compatible-mode/v1/chat/completions?x=1`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"a":1}' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-up']).toBe('yes');
    expect(await res.body.json()).toEqual({ method: 'POST', url: '/compatible-mode/v1/chat/completions?x=1', auth: 'Bearer k', body: '{"a":1}' });
  });

  it('passes the first chunk on before the upstream sends the second, and cancels the upstream when the client leaves', async () => {
    let upstreamRes: ServerResponse | undefined;
    let closedWhileOpen: (finished: boolean) => void = () => {};
    const upstreamClosed = new Promise<boolean>((resolve) => (closedWhileOpen = resolve));
    const upstreamUrl = await listen(
      createServer((_req, res) => {
        upstreamRes = res;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        res.on('close', () => closedWhileOpen(res.writableFinished));
      }),
    );
    const proxy = await listen(createBareProxy(upstreamUrl));
    const ctl = new AbortController();
    const res = await request(`${proxy}/stream`, { method: 'POST', body: '{}', signal: ctl.signal });
    const first = await new Promise<string>((resolve) => res.body.once('data', (c: Buffer) => resolve(c.toString())));
    expect(first).toBe('data: 1\n\n');
    expect(upstreamRes?.writableEnded).toBe(false);
    ctl.abort();
    res.body.on('error', () => {});
    expect(await upstreamClosed).toBe(false);
  });
});
