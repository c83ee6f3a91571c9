// The repository's s.yaml, as the local runtime reads it: the four functions, their runtimes, timeouts and
// triggers (what `npm start` serves is exactly what `s deploy` deploys).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSYaml } from '../../dev/runtime/s-yaml.ts';

const specs = readSYaml(join(import.meta.dirname, '..', '..', 's.yaml'), {});
const byName = Object.fromEntries(specs.map((s) => [s.resource, s]));

describe('s.yaml', () => {
  it('declares the four functions, each with code ./dist/<name>', () => {
    expect(specs.map((s) => s.resource)).toEqual(['chat-stream', 'submit-task', 'poll-task', 'persist-to-oss']);
    for (const s of specs) expect(s.code).toBe(`./dist/${s.resource}`);
  });

  it('runs chat-stream and submit-task as custom-runtime web functions with http triggers', () => {
    expect(byName['chat-stream']).toMatchObject({ runtime: 'custom.debian10', timeoutS: 600, triggers: [{ triggerType: 'http', triggerConfig: { methods: ['GET', 'POST'] } }] });
    expect(byName['chat-stream']!.customRuntime).toEqual({ command: ['node'], args: ['server.mjs'], port: 9000 });
    const submit = byName['submit-task']!;
    expect(submit.customRuntime).toEqual({ command: ['node'], args: ['server.mjs'], port: 9000 });
    expect(submit.runtime).toBe('custom.debian10');
    expect(submit.triggers).toEqual([
      expect.objectContaining({ triggerType: 'http', triggerConfig: expect.objectContaining({ methods: ['GET', 'POST', 'DELETE'] }) }),
      expect.objectContaining({ triggerType: 'oss', triggerConfig: expect.objectContaining({ events: ['oss:ObjectCreated:*'], filter: { key: { prefix: 'inbox/', suffix: '' } } }) }),
    ]);
  });

  it('polls every minute and persists on manifests under results/manifests/*.json', () => {
    expect(byName['poll-task']).toMatchObject({ runtime: 'nodejs20', handler: 'index.handler', timeoutS: 300, triggers: [{ triggerType: 'timer', triggerConfig: { cronExpression: '@every 1m', enable: true } }] });
    expect(byName['persist-to-oss']).toMatchObject({
      runtime: 'nodejs20',
      handler: 'index.handler',
      timeoutS: 900,
      memoryMb: 1024,
      triggers: [{ triggerType: 'oss', triggerConfig: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: 'results/manifests/', suffix: '.json' } } } }],
    });
  });
});
