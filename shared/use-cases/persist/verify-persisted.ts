// Verifies the outputs a finished task records against the bucket (a duplicate event's whole job): each
// recorded key must exist with the recorded size and sha256. A mismatch is loud and nothing is rewritten.
import type { Task } from '../../domain/task.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import { metaValue } from './copy-output.ts';
import { PersistIntegrityError } from './persist-errors.ts';

export async function verifyPersisted(objects: ObjectStore, task: Task): Promise<void> {
  for (const output of task.outputs) {
    if (!output.key) continue;
    const meta = await objects.head(output.key);
    if (!meta) throw new PersistIntegrityError(output.key, `recorded output ${output.index} of task ${task.id} is missing from the bucket`);
    if (output.bytes !== undefined && meta.bytes !== output.bytes) {
      throw new PersistIntegrityError(output.key, `object has ${meta.bytes} bytes, the task recorded ${output.bytes}`);
    }
    const stored = metaValue(meta, 'sha256');
    if (stored !== undefined && output.sha256 !== undefined && stored !== output.sha256) {
      throw new PersistIntegrityError(output.key, `object sha256 ${stored} differs from the recorded ${output.sha256}`);
    }
    const owner = metaValue(meta, 'sourceTaskId');
    if (owner !== undefined && owner !== task.id) throw new PersistIntegrityError(output.key, `object belongs to task ${owner}`);
  }
}
