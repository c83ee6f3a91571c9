// The result manifest: poll-task writes it to `results/manifests/{taskId}.json` when DashScope reports
// SUCCEEDED; it is the durable record of the expiring result URLs, and its creation triggers persist-to-oss.
import { z } from 'zod';
import { TASK_TYPES } from './task.ts';

export const MANIFEST_PREFIX = 'results/manifests/';

export const manifestKey = (taskId: string): string => `${MANIFEST_PREFIX}${taskId}.json`;

/** The task id a manifest key names, or undefined for a key that is not a manifest. */
export function taskIdFromManifestKey(key: string): string | undefined {
  const m = /^results\/manifests\/([A-Za-z0-9_-]{1,128})\.json$/.exec(key);
  return m?.[1];
}

export const manifestOutputSchema = z.union([
  z.object({
    index: z.number().int().min(0),
    url: z.url(),
    /** ISO time after which DashScope no longer serves the URL. */
    expiresAt: z.iso.datetime(),
    /** What DashScope said the output is (image, video, audio); the bytes decide the content type. */
    kind: z.enum(['image', 'video', 'audio']),
    /**
     * A speech task's text synthesised in parts: the output is these WAVs joined in order into one (`url` is
     * the first part's, `expiresAt` the earliest expiry).
     */
    parts: z.array(z.object({ url: z.url(), expiresAt: z.iso.datetime() })).min(2).optional(),
  }),
  z.object({
    index: z.number().int().min(0),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);

export const manifestSchema = z.object({
  version: z.literal(1),
  taskId: z.string().min(1),
  type: z.enum(TASK_TYPES),
  model: z.string(),
  dashscopeTaskId: z.string().optional(),
  succeededAt: z.iso.datetime(),
  outputs: z.array(manifestOutputSchema).min(1),
  usage: z.record(z.string(), z.unknown()).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestOutput = z.infer<typeof manifestOutputSchema>;
