// The local runtime server's connection limits (timeouts from HTTP_* config, connection cap), through the
// shared suite, with the slow-http fixture as the one function of a temporary s.yaml.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startRuntime } from '../../dev/runtime/runtime.ts';
import { runServerLimitsContract } from './server-limits-contract.ts';

const S_YAML = `
edition: 3.0.0
name: limits-fixture
resources:
  slow-http:
    component: fc3
    props:
      region: cn-beijing
      functionName: fixture-slow-http
      runtime: custom.debian10
      code: ./dist/slow-http
      timeout: 10
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: { authType: anonymous, methods: [POST] }
`;

const dir = mkdtempSync(join(tmpdir(), 'runtime-limits-'));
writeFileSync(join(dir, 's.yaml'), S_YAML);
let runs = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runServerLimitsContract('local runtime', (env) =>
  startRuntime({
    env: {
      PORT: '0',
      DATA_DIR: join(dir, `data-${++runs}`),
      LOG_LEVEL: 'silent',
      // A key, so the emulator is not started (nothing calls DashScope).
      DASHSCOPE_API_KEY: 'sk-test-not-used',
      DASHSCOPE_BASE_URL: 'http://127.0.0.1:9',
      ...env,
    },
    sYamlPath: join(dir, 's.yaml'),
    functionsRoot: join(import.meta.dirname, 'fixtures', 'functions'),
    drainMs: 100,
  }),
);
