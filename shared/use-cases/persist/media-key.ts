// Where a persisted output lives: `media/{yyyy}/{mm}/{dd}/{taskId}/{index}.{ext}`. The date is the task's
// creation date (UTC), not "today", so every delivery of the same event computes the same key.

export const MEDIA_PREFIX = 'media/';

export function mediaKey(taskCreatedAt: string, taskId: string, index: number, ext: string): string {
  const created = new Date(taskCreatedAt);
  if (Number.isNaN(created.getTime())) throw new Error(`task ${taskId} has an invalid createdAt`);
  const yyyy = String(created.getUTCFullYear()).padStart(4, '0');
  const mm = String(created.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(created.getUTCDate()).padStart(2, '0');
  return `${MEDIA_PREFIX}${yyyy}/${mm}/${dd}/${taskId}/${index}.${ext}`;
}
