// `npm run pipeline -- "topic" [--out DIR]`: a client of a running instance (npm start by default) that runs one
// pipeline, shows each step's progress and saves its article, illustration and narration.
import { setTimeout as sleep } from 'node:timers/promises';
import { runPipelineCli } from './pipeline/pipeline-cli.ts';

const key = process.env.DASHSCOPE_FC_KEY;
const code = await runPipelineCli(process.argv.slice(2), process.env, {
  fetch,
  out: (text) => void process.stdout.write(text),
  err: (line) => void process.stderr.write(`${line}\n`),
  tty: Boolean(process.stdout.isTTY),
  now: () => performance.now(),
  sleep: (ms) => sleep(ms),
  cwd: process.cwd(),
  ...(key ? { key } : {}),
}).catch((e: unknown) => {
  process.stderr.write(`pipeline: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
});
process.exit(code);
