// What the pipeline stores keep, shared by their adapters: the pipeline as JSON, checked on the way out (a
// stored row is foreign data, so a corrupt one fails loudly rather than downstream).
import { z } from 'zod';
import { OUTPUT_NAMES, PIPELINE_LANGUAGES, PIPELINE_STATUSES, PIPELINE_STEPS, PIPELINE_STYLES, STEP_STATUSES, type Pipeline } from '../domain/pipeline.ts';
import { parseJson } from '../json/parse-json.ts';
import { PipelineStoreError } from '../ports/pipeline-store.ts';

const errorSchema = z.object({ step: z.enum(PIPELINE_STEPS), code: z.string(), message: z.string() });

const stepSchema = z.object({
  name: z.enum(PIPELINE_STEPS),
  status: z.enum(STEP_STATUSES),
  taskId: z.string().optional(),
  error: errorSchema.optional(),
  attempts: z.number().int().min(0),
  leaseOwner: z.string().optional(),
  leaseUntil: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

const articleSchema = z.object({
  title: z.string(),
  introduction: z.string(),
  sections: z.array(z.object({ heading: z.string(), body: z.string() })),
  conclusion: z.string(),
});

/** Loose, so a field the domain adds later is kept rather than dropped on the next write. */
export const storedPipelineSchema: z.ZodType<Pipeline> = z
  .object({
    id: z.string(),
    tenant: z.string(),
    topic: z.string(),
    language: z.enum(Object.keys(PIPELINE_LANGUAGES) as [keyof typeof PIPELINE_LANGUAGES]),
    style: z.enum(Object.keys(PIPELINE_STYLES) as [keyof typeof PIPELINE_STYLES]),
    status: z.enum(PIPELINE_STATUSES),
    steps: z.array(stepSchema),
    article: articleSchema.optional(),
    illustrationPrompt: z.string().optional(),
    outputs: z.array(z.object({ name: z.enum(OUTPUT_NAMES), key: z.string(), contentType: z.string(), bytes: z.number().int().min(0), sha256: z.string() })),
    error: errorSchema.optional(),
    version: z.number().int().positive(),
    dueAt: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .loose() as unknown as z.ZodType<Pipeline>;

/** The stored JSON text back into a pipeline at `version` (the adapters keep the version in its own column). */
export function parseStoredPipeline(id: string, text: string, version: number): Pipeline {
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch {
    throw new PipelineStoreError(`pipeline ${id}: stored data is not JSON`);
  }
  const r = storedPipelineSchema.safeParse({ ...(raw as object), version });
  if (!r.success) throw new PipelineStoreError(`pipeline ${id}: stored data does not match its schema: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`);
  return r.data;
}
