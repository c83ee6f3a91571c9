// The bucket's provisioning step over the OSS stand-in: a missing bucket is planned and made, our lifecycle
// rules are planned, set and then found in place, a rule of someone else survives every apply untouched.
import { DEAD_LETTERS_PREFIX } from '../../shared/domain/dead-letter.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { OssStandin } from '../../dev/standins/oss/oss-standin.ts';
import { MANIFEST_PREFIX } from '../../shared/domain/manifest.ts';
import { bucketLifecycleStep, DEFAULT_LIFECYCLE_RULES, RULE_ID_PREFIX } from '../../shared/adapters/oss/bucket-lifecycle.ts';
import type { LifecycleRule } from '../../shared/adapters/oss/lifecycle-xml.ts';
import { OssClients, type OssCredentials } from '../../shared/adapters/oss/oss-client.ts';
import { STAGING_PREFIX } from '../../shared/adapters/oss/oss-object-store.ts';
import { MEDIA_PREFIX } from '../../shared/use-cases/persist/media-key.ts';
import { INBOX_ERRORS_PREFIX, INBOX_PREFIX } from '../../shared/use-cases/tasks/submit-from-inbox.ts';

const AK: OssCredentials = { accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret' };
const FOREIGN_XML = '<Rule><ID>archive-logs</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition></Rule>';

let s: OssStandin | undefined;
afterEach(async () => s?.close());

const start = async (options: { buckets?: string[]; othersBuckets?: string[] } = {}) => {
  s = await OssStandin.start({ credentials: { [AK.accessKeyId]: { accessKeySecret: AK.accessKeySecret } }, region: 'cn-beijing', ...options });
  return new OssClients({ bucket: 'test-bucket', region: 'oss-cn-beijing', endpoint: s.endpoint, credentials: async () => AK, backoffMs: 1 });
};
const lifecycle = (oss: OssClients): Promise<LifecycleRule[]> => oss.run('GetBucketLifecycle', 'data', (c) => c.getBucketLifecycle());
const ops = () => s!.log.map((r) => `${r.op} ${r.status}`);

describe('bucketLifecycleStep over the OSS stand-in', () => {
  it('plans the bucket and every rule for a missing bucket, makes them, then plans nothing', async () => {
    const oss = await start({ buckets: [] });
    const step = bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES);
    const plan = await step.plan();
    expect(plan[0]).toBe('create bucket test-bucket in cn-beijing (private ACL, standard storage)');
    expect(plan.slice(1)).toEqual(DEFAULT_LIFECYCLE_RULES.map((r) => expect.stringMatching(new RegExp(`^add lifecycle rule ${r.id} on '${r.prefix}'`))));
    await step.apply();
    expect(await step.plan()).toEqual([]);
    const info = await oss.run('GetBucketInfo', 'data', (c) => c.getBucketInfo());
    expect(info.location).toBe('oss-cn-beijing');
    expect((await lifecycle(oss)).map(({ id, prefix, enabled, expirationDays, abortMultipartUploadDays }) => ({ id, prefix, enabled, expirationDays, abortMultipartUploadDays }))).toEqual(
      DEFAULT_LIFECYCLE_RULES.map((r) => ({ expirationDays: undefined, abortMultipartUploadDays: undefined, ...r })),
    );
  });

  it('applies idempotently: a second apply reads and writes nothing', async () => {
    const oss = await start();
    const step = bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES);
    await step.apply();
    expect(ops()).toEqual(['GetBucketInfo 200', 'GetBucketLifecycle 404', 'PutBucketLifecycle 200']);
    s!.log.length = 0;
    await step.apply();
    expect(ops()).toEqual(['GetBucketInfo 200', 'GetBucketLifecycle 200']);
  });

  it('keeps a rule of someone else exactly as it was, through adding, changing and removing ours', async () => {
    const oss = await start();
    await oss.run('PutBucketLifecycle', 'data', (c) => c.putBucketLifecycle([{ id: 'archive-logs', prefix: 'logs/', enabled: true, xml: FOREIGN_XML }]));
    const first = bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES);
    expect(await first.plan()).toHaveLength(DEFAULT_LIFECYCLE_RULES.length);
    await first.apply();
    expect(await first.plan()).toEqual([]);
    expect((await lifecycle(oss)).find((r) => r.id === 'archive-logs')?.xml).toBe(FOREIGN_XML);

    const [staging, ...rest] = DEFAULT_LIFECYCLE_RULES;
    const second = bucketLifecycleStep(oss, [{ ...staging!, expirationDays: 2 }, ...rest.slice(1)]);
    expect(await second.plan()).toEqual([
      `change lifecycle rule ${RULE_ID_PREFIX}staging on '${STAGING_PREFIX}': delete objects after 1 day(s), abort multipart uploads after 1 day(s) → ${RULE_ID_PREFIX}staging on '${STAGING_PREFIX}': delete objects after 2 day(s), abort multipart uploads after 1 day(s)`,
      `remove lifecycle rule ${RULE_ID_PREFIX}media-uploads on 'media/': abort multipart uploads after 1 day(s)`,
    ]);
    await second.apply();
    expect(await second.plan()).toEqual([]);
    const after = await lifecycle(oss);
    expect(after.map((r) => r.id)).toEqual(['archive-logs', `${RULE_ID_PREFIX}staging`, `${RULE_ID_PREFIX}inbox-errors`, `${RULE_ID_PREFIX}manifests`, `${RULE_ID_PREFIX}dead-letters`]);
    expect(after[0]!.xml).toBe(FOREIGN_XML);

    // none of ours left: the foreign rule stays alone
    await bucketLifecycleStep(oss, []).apply();
    expect((await lifecycle(oss)).map((r) => r.xml)).toEqual([FOREIGN_XML]);
  });

  it('drops the configuration when neither ours nor any other rule is left', async () => {
    const oss = await start();
    await bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES).apply();
    const none = bucketLifecycleStep(oss, []);
    expect(await none.plan()).toHaveLength(DEFAULT_LIFECYCLE_RULES.length);
    await none.apply();
    expect(await lifecycle(oss)).toEqual([]);
    expect(await none.plan()).toEqual([]);
  });

  it('refuses to take over a bucket of another account', async () => {
    const oss = await start({ buckets: [], othersBuckets: ['test-bucket'] });
    const step = bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES);
    await expect(step.plan()).rejects.toMatchObject({ code: 'AccessDenied', status: 403 });
    s!.faults.add({ op: 'GetBucketInfo', status: 404, code: 'NoSuchBucket' });
    await expect(step.apply()).rejects.toMatchObject({ code: 'BucketAlreadyExists', status: 409 });
  });

  it('takes BucketAlreadyExists for a bucket of ours (a lost answer) as made', async () => {
    const oss = await start();
    s!.faults.add({ op: 'GetBucketInfo', status: 404, code: 'NoSuchBucket' });
    await bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES).apply();
    expect(ops().slice(0, 3)).toEqual(['GetBucketInfo 404', 'PutBucket 409', 'GetBucketInfo 200']);
    expect(await bucketLifecycleStep(oss, DEFAULT_LIFECYCLE_RULES).plan()).toEqual([]);
  });

  it('is refused with a wrong secret, and the stand-in wants the lifecycle body with a matching Content-MD5', async () => {
    const oss = await start();
    const wrong = new OssClients({ ...oss.options, credentials: async () => ({ ...AK, accessKeySecret: 'not-the-secret' }) });
    await expect(bucketLifecycleStep(wrong, DEFAULT_LIFECYCLE_RULES).plan()).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await expect(oss.run('PutBucketLifecycle', 'data', (c) => c.send('PutBucketLifecycle', { method: 'PUT', query: { lifecycle: '' } }))).rejects.toMatchObject({ status: 400, code: 'MissingArgument' });
    const body = Buffer.from('<LifecycleConfiguration><Rule><ID>x</ID><Prefix>a/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>');
    await expect(oss.run('PutBucketLifecycle', 'data', (c) => c.send('PutBucketLifecycle', { method: 'PUT', query: { lifecycle: '' }, headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, body }))).rejects.toMatchObject({ code: 'InvalidDigest' });
    expect(await lifecycle(oss)).toEqual([]);
  });

  it('only takes rule ids of its own prefix', () => {
    const oss = new OssClients({ bucket: 'test-bucket', region: 'cn-beijing', credentials: async () => AK });
    expect(() => bucketLifecycleStep(oss, [{ id: 'mine', prefix: 'a/', enabled: true, expirationDays: 1 }])).toThrow(/must start with 'dashscope-fc-'/);
  });
});

describe('DEFAULT_LIFECYCLE_RULES', () => {
  it('covers the prefixes the code writes temporary objects under, with the project prefix as id', () => {
    const byPrefix = new Map(DEFAULT_LIFECYCLE_RULES.map((r) => [r.prefix, r]));
    expect([...byPrefix.keys()].sort()).toEqual([INBOX_ERRORS_PREFIX, MEDIA_PREFIX, MANIFEST_PREFIX, STAGING_PREFIX, DEAD_LETTERS_PREFIX].sort());
    expect(byPrefix.get(STAGING_PREFIX)).toMatchObject({ expirationDays: 1, abortMultipartUploadDays: 1 });
    expect(DEFAULT_LIFECYCLE_RULES.every((r) => r.id.startsWith(RULE_ID_PREFIX) && r.enabled)).toBe(true);
  });

  it('never deletes persisted media or the apps\' inbox requests', () => {
    const expiring = DEFAULT_LIFECYCLE_RULES.filter((r) => r.expirationDays !== undefined);
    for (const kept of [MEDIA_PREFIX, `${MEDIA_PREFIX}2026/12/03/t/0.mp4`, INBOX_PREFIX, `${INBOX_PREFIX}job.json`]) {
      expect(expiring.filter((r) => kept.startsWith(r.prefix) || r.prefix === '').map((r) => r.id)).toEqual([]);
    }
  });
});
