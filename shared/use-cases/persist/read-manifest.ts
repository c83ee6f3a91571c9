// Reads a result manifest from the object store: size-capped, parsed and checked with the manifest schema,
// and tied to the task its key names (a manifest whose body names another task is refused).
import { manifestSchema, taskIdFromManifestKey, type Manifest } from '../../domain/manifest.ts';
import { JsonInputError, parseJson } from '../../json/parse-json.ts';
import { ObjectNotFoundError, type ObjectStore } from '../../ports/object-store.ts';
import { ManifestInvalidError } from './persist-errors.ts';

/** Manifests list a handful of URLs; anything this large is not one. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

export async function readManifest(objects: ObjectStore, key: string): Promise<Manifest> {
  const taskId = taskIdFromManifestKey(key);
  if (!taskId) throw new ManifestInvalidError(`${key} is not a manifest key`);
  let got: Awaited<ReturnType<ObjectStore['get']>>;
  try {
    got = await objects.get(key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw new ManifestInvalidError(`manifest ${key} does not exist`, { cause: err });
    throw err;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of got.body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > MAX_MANIFEST_BYTES) {
      got.body.destroy();
      throw new ManifestInvalidError(`manifest ${key} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    chunks.push(buf);
  }
  let json: unknown;
  try {
    json = parseJson(Buffer.concat(chunks));
  } catch (e) {
    if (e instanceof JsonInputError && e.code === 'json_too_deep') throw new ManifestInvalidError(`manifest ${key} ${e.message}`);
    throw new ManifestInvalidError(`manifest ${key} is not JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ManifestInvalidError(`manifest ${key} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.taskId !== taskId) throw new ManifestInvalidError(`manifest ${key} names task ${parsed.data.taskId}, not ${taskId}`);
  return parsed.data;
}
