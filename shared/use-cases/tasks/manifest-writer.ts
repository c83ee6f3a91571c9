// Writing the result manifest `results/manifests/{taskId}.json`: the durable record of a task's expiring
// result URLs. Its creation (or rewrite) is the OSS event that makes persist-to-oss copy the results.
import { manifestKey, manifestSchema, type Manifest, type ManifestOutput } from '../../domain/manifest.ts';
import type { Task } from '../../domain/task.ts';
import { parseJson } from '../../json/parse-json.ts';
import { ObjectNotFoundError, type ObjectStore } from '../../ports/object-store.ts';
import { outputKind } from './upstream-result.ts';

export class EmptyResultError extends Error {
  override name = 'EmptyResultError';
}

/** The manifest of a task whose `outputs` hold DashScope's URLs (or per-output errors). */
export function buildManifest(task: Task, succeededAt: Date): Manifest {
  const kind = outputKind(task.type);
  // a speech text synthesised in several parts is one output, joined from the parts when it is persisted
  const parts = task.speech && task.speech.done.length > 1 ? { parts: task.speech.done.map((p) => ({ url: p.url, expiresAt: p.expiresAt })) } : {};
  const outputs: ManifestOutput[] = task.outputs.map((o) =>
    o.sourceUrl && o.sourceExpiresAt
      ? { index: o.index, url: o.sourceUrl, expiresAt: o.sourceExpiresAt, kind, ...(o.index === 0 ? parts : {}) }
      : { index: o.index, error: o.error ?? { code: 'NoResult', message: 'DashScope returned no URL for this output' } },
  );
  if (outputs.length === 0) throw new EmptyResultError(`task ${task.id} succeeded upstream without any output`);
  return manifestSchema.parse({
    version: 1,
    taskId: task.id,
    type: task.type,
    model: task.model,
    ...(task.dashscopeTaskId ? { dashscopeTaskId: task.dashscopeTaskId } : {}),
    succeededAt: succeededAt.toISOString(),
    outputs,
    ...(task.usage ? { usage: task.usage } : {}),
  });
}

/** Writes (or rewrites: a rewrite fires the OSS event again) the manifest. */
export async function putManifest(objects: ObjectStore, manifest: Manifest): Promise<void> {
  await objects.put(manifestKey(manifest.taskId), Buffer.from(JSON.stringify(manifest, null, 2)), { contentType: 'application/json' });
}

/** The stored manifest of a task, or undefined when there is none (or it does not parse, or nests too deep). */
export async function readManifest(objects: ObjectStore, taskId: string): Promise<Manifest | undefined> {
  let body: AsyncIterable<Buffer>;
  try {
    ({ body } = await objects.get(manifestKey(taskId)));
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return undefined;
    throw e;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  try {
    const parsed = manifestSchema.safeParse(parseJson(Buffer.concat(chunks)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
