// `npm run bench`: runs every benchmark one after another (each prints its own figures). Pass names to run
// only some: `npm run bench -- persist poll`. Extra flags after `--` go to every bench (e.g. `--quick`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ALL = ['chat-overhead', 'persist', 'poll', 'cold-start', 'client-import', 'guard-overhead', 'speech-first-byte'];
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const chosen = names.length ? names : ALL;

let failed = 0;
for (const name of chosen) {
  const file = `bench/${name}.ts`;
  if (!existsSync(file)) {
    console.error(`no benchmark ${file}; known: ${ALL.join(', ')}`);
    failed++;
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
