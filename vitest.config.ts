// The test suite in five projects, each run alone by its npm script (`test:unit`, `test:contract`,
// `test:integration`, `test:compat`, `test:e2e`) and all together by `npm test`. Every run is audited for leaked secrets.
import { defineConfig } from 'vitest/config';
import { recordConsoleLog, secretAuditEnv } from './test/support/secret-audit/config.ts';

const root = import.meta.dirname;

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // the secret audit: every process records its output, error bodies and events; the run fails on a secret in them
    env: secretAuditEnv(root),
    globalSetup: ['test/support/secret-audit/global-setup.ts'],
    setupFiles: ['test/support/secret-audit/log-tee.ts'],
    onConsoleLog: recordConsoleLog(root),
    projects: [
      {
        extends: true,
        // unit tests sit next to the code they test
        test: { name: 'unit', include: ['shared/**/*.test.ts', 'functions/**/*.test.ts', 'dev/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'] },
      },
      // one suite per port, run by every adapter of it
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      // modules together: functions over their harnesses, the DashScope client, the emulator, the local runtime
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/contract/**', 'test/e2e/**', 'test/compat/**', '**/node_modules/**'],
        },
      },
      // real clients (openai, LangChain, the AI SDK) unchanged against one `npm start`, started by the project's setup
      { extends: true, test: { name: 'compat', include: ['test/compat/**/*.test.ts'], globalSetup: ['test/compat/global-setup.ts'] } },
      // the whole system as a user runs it; one file at a time, since each starts processes on fixed ports
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false } },
    ],
  },
});
