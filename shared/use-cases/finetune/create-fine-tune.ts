// createFineTune (`POST /v1/fine-tunes`): the caller's training file is checked (its own, not empty, not too
// large, every line valid) before anything is written, then submitted as a `fine-tune` task, which uploads it
// to DashScope and creates the job; poll-task follows the job to its end and records the fine-tuned model id.
import type { Principal } from '../../domain/tenant.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { submitTask, type SubmitResult } from '../tasks/submit-task.ts';
import type { TaskDeps, TaskTimings } from '../tasks/task-deps.ts';
import type { TaskRequest } from '../tasks/task-request.ts';
import type { FineTuneRequest } from './fine-tune-request.ts';
import { mayUseTrainingFile, readTrainingFile, TrainingFileNotFoundError } from './training-file.ts';
import { validateTrainingData, type TrainingReport } from './validate-training-data.ts';

/** The training file breaks the data rules: the report says where. */
export class TrainingDataInvalidError extends InvalidRequestError {
  override name = 'TrainingDataInvalidError';
  constructor(readonly report: TrainingReport) {
    const shown = report.errors.slice(0, 5).map((e) => (e.line ? `line ${e.line}: ${e.code}: ${e.message}` : `${e.code}: ${e.message}`));
    const more = report.errors.length > shown.length ? `; and ${report.errors.length - shown.length} more (npm run validate-finetune lists them all)` : '';
    super('invalid_training_file', `training_file: ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`, 'training_file');
  }
}

export interface CreateFineTuneInput {
  request: FineTuneRequest;
  principal: Principal;
  requestId: string;
  idempotencyKey?: string;
}

export async function createFineTune(deps: TaskDeps, input: CreateFineTuneInput, timings?: TaskTimings): Promise<{ result: SubmitResult; report: TrainingReport }> {
  const { request, principal } = input;
  // another tenant's file is refused exactly as a key that does not exist
  if (!mayUseTrainingFile(principal, request.trainingFile)) throw new TrainingFileNotFoundError(request.trainingFile);
  const data = await readTrainingFile(deps.objects, request.trainingFile);
  const report = validateTrainingData(data);
  if (!report.ok) throw new TrainingDataInvalidError(report);

  const task: TaskRequest = {
    type: 'fine-tune',
    model: request.model,
    input: { training_file: request.trainingFile, examples: report.examples },
    parameters: {
      ...(request.hyperParameters ? { hyper_parameters: request.hyperParameters } : {}),
      ...(request.trainingType ? { training_type: request.trainingType } : {}),
    },
    ...(request.metadata ? { metadata: request.metadata } : {}),
  };
  const result = await submitTask(
    deps,
    { request: task, tenant: principal.tenant, principal, requestId: input.requestId, ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}) },
    ...(timings ? [timings] : []),
  );
  return { result, report };
}
