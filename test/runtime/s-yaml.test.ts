// The repository's s.yaml: what the local runtime reads of it (npm start serves what s deploy deploys), the fc3
// schema of its functions and triggers, and the rules a first deploy needs (test/support/s-yaml-rules.ts),
// shown to catch each defect of the s.yaml this project had before (fixtures/s-yaml/first-draft.s.yaml).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fcNodeVersion, FC_NODE_LAYERS } from '../../dev/runtime/fc-node.ts';
import { readSYaml, resolveSYaml } from '../../dev/runtime/s-yaml.ts';
import { routes as chatRoutes } from '../../functions/chat-stream/index.ts';
import { routes as taskRoutes } from '../../functions/submit-task/index.ts';
import { MANIFEST_PREFIX } from '../../shared/domain/manifest.ts';
import { DEAD_LETTERS_PREFIX } from '../../shared/domain/dead-letter.ts';
import { MEDIA_PREFIX } from '../../shared/use-cases/persist/media-key.ts';
import { INBOX_ERRORS_PREFIX } from '../../shared/use-cases/tasks/submit-from-inbox.ts';
import { INBOX_RESULTS_PREFIX } from '../../shared/use-cases/tasks/inbox-batch.ts';
import { PIPELINES_PREFIX } from '../../shared/domain/pipeline.ts';
import { sYamlProblems, type FunctionFacts } from '../support/s-yaml-rules.ts';

const S_YAML = join(import.meta.dirname, '..', '..', 's.yaml');
const FIRST_DRAFT = join(import.meta.dirname, 'fixtures', 's-yaml', 'first-draft.s.yaml');
const specs = readSYaml(S_YAML, {});
const byName = Object.fromEntries(specs.map((s) => [s.resource, s]));

// what each function writes to the bucket (its OSS triggers must never fire on it), and its HTTP methods
const FACTS: Record<string, FunctionFacts> = {
  'chat-stream': { writes: [], methods: chatRoutes.map((r) => r.method) },
  'submit-task': { writes: [INBOX_ERRORS_PREFIX, INBOX_RESULTS_PREFIX, PIPELINES_PREFIX, 'tmp/staging/'], methods: taskRoutes.map((r) => r.method) },
  'poll-task': { writes: [MANIFEST_PREFIX, DEAD_LETTERS_PREFIX, 'tmp/staging/'], methods: [] },
  // streamed puts wait under the OSS adapter's staging prefix, then are copied to their key
  'persist-to-oss': { writes: [MEDIA_PREFIX, 'tmp/staging/'], methods: [] },
};
const problemsOf = (file: string) => sYamlProblems(resolveSYaml(file, {}).resources, FACTS, readFileSync(file, 'utf8'));

describe('s.yaml', () => {
  it('passes the fc3 schema and every deploy rule', () => {
    expect(problemsOf(S_YAML)).toEqual([]);
  });

  it('would have caught each defect of the first draft', () => {
    const problems = problemsOf(FIRST_DRAFT);
    const expected = [
      /chat-stream: command 'node' is not the layer's node \(\/opt\/nodejs20\/bin\/node\); a custom runtime has no node on PATH/,
      /chat-stream: layer Nodejs20\/versions\/3 carries Node 20\.11\.0, outside engines/,
      /poll-task: runtime nodejs20 runs a Node minor nobody pins/,
      /chat-stream: cpu is not set/,
      /poll-task: a timer-driven function must not be retried on top of the next tick/,
      /poll-task: timeout 300 s outlasts the 1-minute tick/,
      /persist-to-oss: OSS events failing every retry would be dropped silently/,
      /submit-task\/inbox-upload: event oss:ObjectCreated:\* /,
      /persist-to-oss\/result-manifest: misses oss:ObjectCreated:CopyObject/,
      /chat-stream\/http: method OPTIONS not listed/,
      /submit-task\/http: method HEAD not listed/,
    ];
    for (const re of expected) expect(problems.some((p) => re.test(p)), `expected a problem matching ${re}\n${problems.join('\n')}`).toBe(true);
  });

  it('is read by the local runtime: the four functions from ./dist/<name>, all custom runtimes on the layer’s node', () => {
    expect(specs.map((s) => s.resource)).toEqual(['chat-stream', 'submit-task', 'poll-task', 'persist-to-oss']);
    for (const s of specs) {
      expect(s.code).toBe(`./dist/${s.resource}`);
      expect(s.customRuntime).toEqual({ command: ['/opt/nodejs22/bin/node'], args: ['server.mjs'], port: 9000 });
    }
    // the Node version CI and npm run start:cloud run the bundles on
    expect(fcNodeVersion(specs)).toBe(FC_NODE_LAYERS['Nodejs22/versions/2']!.version);
    expect(byName['poll-task']).toMatchObject({ maxAsyncRetryAttempts: 0, timeoutS: 60, triggers: [{ triggerType: 'timer', triggerConfig: { cronExpression: '@every 1m', enable: true } }] });
    expect(byName['persist-to-oss']!.triggers).toEqual([
      expect.objectContaining({ triggerType: 'oss', triggerConfig: expect.objectContaining({ filter: { key: { prefix: 'results/manifests/', suffix: '.json' } } }) }),
    ]);
    expect(byName['submit-task']!.triggers.map((t) => t.triggerType)).toEqual(['http', 'oss', 'eventbridge', 'eventbridge']);
  });
});
