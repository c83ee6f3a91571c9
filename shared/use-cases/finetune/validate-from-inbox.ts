// Fine-tune data uploaded to `inbox/<tenant>/finetune/<name>.jsonl` is checked as `POST /v1/fine-tunes` would
// check it, and the report (`{ok, examples, errors, notes}`) written to `inbox-results/…/<name>.jsonl.report.json`.
import type { ObjectStore } from '../../ports/object-store.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { inboxResultKey } from '../tasks/inbox-batch.ts';
import { readTrainingFile, TrainingFileNotFoundError } from './training-file.ts';
import { validateTrainingData, type TrainingReport } from './validate-training-data.ts';

export type FineTuneInboxOutcome = { kind: 'missing' } | { kind: 'reported'; report: TrainingReport };

export async function validateFineTuneUpload(deps: { objects: ObjectStore }, key: string): Promise<FineTuneInboxOutcome> {
  let report: TrainingReport;
  try {
    report = validateTrainingData(await readTrainingFile(deps.objects, key, 'file'));
  } catch (e) {
    if (e instanceof TrainingFileNotFoundError) return { kind: 'missing' };
    // empty or too large, said by its size alone
    if (!(e instanceof InvalidRequestError)) throw e;
    report = { ok: false, examples: 0, errors: [{ line: 0, code: e.code, message: e.message }], notes: [] };
  }
  await deps.objects.put(inboxResultKey(key, 'report.json'), Buffer.from(JSON.stringify(report, null, 2)), { contentType: 'application/json' });
  return { kind: 'reported', report };
}
