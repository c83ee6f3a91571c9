// `npm run validate-finetune -- file.jsonl [--json]`: checks fine-tune training data locally (no cloud, no key).
import { readFile, stat } from 'node:fs/promises';
import { runValidateFinetune } from './validate-finetune/validate-finetune-cli.ts';

const code = await runValidateFinetune(process.argv.slice(2), {
  readFile: (p) => readFile(p),
  fileSize: async (p) => (await stat(p)).size,
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
});
process.exit(code);
