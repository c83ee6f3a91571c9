// The bucket's provisioning step: makes the bucket when it is missing (private, standard storage, in the
// configured region) and keeps this project's lifecycle rules on it, leaving the rules of others as they are.
import { DEAD_LETTERS_PREFIX } from '../../domain/dead-letter.ts';
import { MANIFEST_PREFIX } from '../../domain/manifest.ts';
import type { LifecycleRule } from './lifecycle-xml.ts';
import type { OssClients } from './oss-client.ts';
import { OssFailure } from './oss-failure.ts';
import { STAGING_PREFIX } from './oss-object-store.ts';

/** Rules whose id starts with this are ours: plan and apply manage them; any other rule is left alone. */
export const RULE_ID_PREFIX = 'dashscope-fc-';

/**
 * What the code writes and for how long each prefix is needed. Never expired: `media/` (the persisted results,
 * the product) and `inbox/` (the apps' own requests; nothing here treats them as temporary).
 */
export const DEFAULT_LIFECYCLE_RULES: readonly LifecycleRule[] = [
  // a staging key lives for one put (persist-to-oss runs at most 15 minutes) and is deleted after it; a day
  // sweeps what a crash left, whole objects and unfinished multipart uploads alike
  { id: `${RULE_ID_PREFIX}staging`, prefix: STAGING_PREFIX, enabled: true, expirationDays: 1, abortMultipartUploadDays: 1 },
  // objects above the copy limit are committed by a multipart copy into media/ itself: a crash midway leaves
  // invisible, billed parts. Only uploads are aborted here, never objects
  { id: `${RULE_ID_PREFIX}media-uploads`, prefix: 'media/', enabled: true, abortMultipartUploadDays: 1 },
  // error reports for refused inbox uploads, for the apps to read soon after; nothing in the code reads them
  { id: `${RULE_ID_PREFIX}inbox-errors`, prefix: 'inbox-errors/', enabled: true, expirationDays: 30 },
  // a manifest lists DashScope URLs that die within 24 hours; persist-to-oss and the re-drive read it only
  // while they live (the re-drive rebuilds a missing one from the task row), so a month is a wide margin
  { id: `${RULE_ID_PREFIX}manifests`, prefix: MANIFEST_PREFIX, enabled: true, expirationDays: 30 },
  // failed asynchronous events kept by poll-task for an operator to look at (and re-drive while they matter)
  { id: `${RULE_ID_PREFIX}dead-letters`, prefix: DEAD_LETTERS_PREFIX, enabled: true, expirationDays: 30 },
];

export interface BucketLifecycleStep {
  name: string;
  /** The changes apply() would make, in words; empty when the bucket is as it should be. */
  plan(): Promise<string[]>;
  /** Makes them; running it again changes nothing. */
  apply(): Promise<void>;
}

function describe(r: LifecycleRule): string {
  const actions = [
    ...(r.expirationDays !== undefined ? [`delete objects after ${r.expirationDays} day(s)`] : []),
    ...(r.abortMultipartUploadDays !== undefined ? [`abort multipart uploads after ${r.abortMultipartUploadDays} day(s)`] : []),
    ...(r.other ? ['other actions'] : []),
  ];
  return `${r.id} on '${r.prefix}': ${actions.join(', ') || 'no action'}${r.enabled ? '' : ' (disabled)'}`;
}

const same = (have: LifecycleRule, want: LifecycleRule): boolean =>
  !have.other && have.prefix === want.prefix && have.enabled === want.enabled && have.expirationDays === want.expirationDays && have.abortMultipartUploadDays === want.abortMultipartUploadDays;

/** The changes from `current` to `wanted` (for our rules only) and the full rule list to set, if any change. */
function diff(current: LifecycleRule[], wanted: LifecycleRule[]): { changes: string[]; next: LifecycleRule[] } {
  const ours = new Map(current.filter((r) => r.id.startsWith(RULE_ID_PREFIX)).map((r) => [r.id, r]));
  const changes: string[] = [];
  for (const want of wanted) {
    const have = ours.get(want.id);
    if (!have) changes.push(`add lifecycle rule ${describe(want)}`);
    else if (!same(have, want)) changes.push(`change lifecycle rule ${describe(have)} → ${describe(want)}`);
  }
  for (const have of ours.values()) if (!wanted.some((w) => w.id === have.id)) changes.push(`remove lifecycle rule ${describe(have)}`);
  const foreign = current.filter((r) => !r.id.startsWith(RULE_ID_PREFIX));
  // ours are written from their fields (never from what was read), the others sent back as they were read
  return { changes, next: [...foreign, ...wanted.map(({ xml: _xml, other: _other, ...r }) => r)] };
}

export function bucketLifecycleStep(clients: OssClients, rules: readonly LifecycleRule[]): BucketLifecycleStep {
  const wanted = [...rules];
  const bad = wanted.filter((r) => !r.id.startsWith(RULE_ID_PREFIX));
  if (bad.length) throw new Error(`lifecycle rule ids must start with '${RULE_ID_PREFIX}' (else they would be taken for someone else's): ${bad.map((r) => r.id).join(', ')}`);
  if (new Set(wanted.map((r) => r.id)).size !== wanted.length) throw new Error('lifecycle rule ids must be unique');

  const bucketExists = async (): Promise<boolean> => {
    try {
      await clients.run('GetBucketInfo', 'data', (c) => c.getBucketInfo());
      return true;
    } catch (e) {
      if (e instanceof OssFailure && e.code === 'NoSuchBucket') return false;
      throw e;
    }
  };
  const currentRules = (): Promise<LifecycleRule[]> => clients.run('GetBucketLifecycle', 'data', (c) => c.getBucketLifecycle());
  const creation = `create bucket ${clients.bucket} in ${clients.region} (private ACL, standard storage)`;

  return {
    name: `OSS bucket ${clients.bucket} and its lifecycle rules`,

    async plan() {
      if (!(await bucketExists())) return [creation, ...diff([], wanted).changes];
      return diff(await currentRules(), wanted).changes;
    },

    async apply() {
      if (!(await bucketExists())) {
        await clients.run('PutBucket', 'data', (c) => c.putBucket()).catch(async (e: unknown) => {
          // a bucket that exists already is fine if it is ours (an earlier apply, or an answer that was lost)
          if (!(e instanceof OssFailure && e.code === 'BucketAlreadyExists' && (await bucketExists().catch(() => false)))) throw e;
        });
      }
      const { changes, next } = diff(await currentRules(), wanted);
      if (changes.length === 0) return;
      if (next.length === 0) await clients.run('DeleteBucketLifecycle', 'data', (c) => c.deleteBucketLifecycle());
      else await clients.run('PutBucketLifecycle', 'data', (c) => c.putBucketLifecycle(next));
    },
  };
}
