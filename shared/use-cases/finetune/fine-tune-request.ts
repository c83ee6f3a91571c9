// What an app may send to `POST /v1/fine-tunes`: the training file (a bucket key), a base model of the
// catalogue that can chat, and DashScope's hyperparameters; anything else is a 400 naming the field.
import { z } from 'zod';
import { findModel, MODEL_ID_MAX_CHARS, modelsOfKind } from '../../catalog/catalog.ts';
import { clip } from '../../text/clip.ts';
import { InvalidRequestError } from '../../validation/request-errors.ts';
import { describeIssues } from '../../validation/validate.ts';
import { TRAINING_FILE_KEY_MAX_CHARS } from './training-file.ts';

export const FINE_TUNE_MAX_BODY_BYTES = 64 * 1024;

const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** The text SFT/LoRA hyperparameters DashScope documents (dashscope-api.md §6). */
const hyperParameters = z.strictObject({
  n_epochs: positiveInt(100).optional(),
  batch_size: positiveInt(1_024).optional(),
  learning_rate: z.union([z.number().positive().max(1), z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/i, 'must be a number such as 1.6e-5')]).optional(),
  split: z.number().gt(0).lt(1).optional(),
  warmup_ratio: z.number().min(0).lt(1).optional(),
  eval_steps: positiveInt(1_000_000).optional(),
  lr_scheduler_type: z.string().max(64).optional(),
  max_length: positiveInt(131_072).optional(),
  lora_rank: positiveInt(1_024).optional(),
  lora_alpha: positiveInt(4_096).optional(),
  lora_dropout: z.number().min(0).lt(1).optional(),
  save_strategy: z.string().max(64).optional(),
  save_total_limit: positiveInt(100).optional(),
});

const schema = z.strictObject({
  training_file: z.string().trim().min(1, 'must not be empty').max(TRAINING_FILE_KEY_MAX_CHARS),
  model: z.string().min(1).max(MODEL_ID_MAX_CHARS),
  hyper_parameters: hyperParameters.optional(),
  training_type: z.enum(['sft', 'efficient_sft']).optional(),
  metadata: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'metadata keys are 1-64 characters of A-Z a-z 0-9 _ . -'), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 metadata entries')
    .optional(),
});

export interface FineTuneRequest {
  trainingFile: string;
  model: string;
  hyperParameters?: Record<string, unknown>;
  trainingType?: string;
  metadata?: Record<string, string>;
}

export function parseFineTuneRequest(body: unknown): FineTuneRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('invalid_request', 'body: expected a JSON object');
  const r = schema.safeParse(body);
  if (!r.success) {
    const { message, param } = describeIssues(r.error);
    throw new InvalidRequestError('invalid_request', message, param);
  }
  const m = findModel(r.data.model);
  const fitting = modelsOfKind('chat').map((x) => x.id).join(', ');
  if (!m) throw new InvalidRequestError('model_not_found', `unknown model '${clip(r.data.model)}'; fine-tune one of: ${fitting}`, 'model');
  if (m.kind !== 'chat') throw new InvalidRequestError('invalid_model', `model '${clip(r.data.model)}' cannot be fine-tuned; use one of: ${fitting}`, 'model');
  return {
    trainingFile: r.data.training_file,
    model: m.id,
    ...(r.data.hyper_parameters && Object.keys(r.data.hyper_parameters).length ? { hyperParameters: r.data.hyper_parameters } : {}),
    ...(r.data.training_type ? { trainingType: r.data.training_type } : {}),
    ...(r.data.metadata && Object.keys(r.data.metadata).length ? { metadata: r.data.metadata } : {}),
  };
}
