// ObjectCreated notifications in the shape FC hands an OSS-triggered function (`{events: [...]}`; the
// eventName has no `oss:` prefix), as the stand-in delivers them to its listeners.
import type { Created } from './object-handlers.ts';

export interface OssNotification {
  events: {
    eventName: Created['eventName'];
    eventSource: 'acs:oss';
    eventTime: string;
    eventVersion: '1.0';
    region: string;
    oss: {
      bucket: { arn: string; name: string; ownerIdentity: string };
      object: { key: string; size: number; deltaSize: number; eTag: string };
      ossSchemaVersion: '1.0';
      ruleId: string;
    };
    requestParameters: { sourceIPAddress: string };
    responseElements: { requestId: string };
    userIdentity: { principalId: string };
  }[];
}

const ACCOUNT = '1234567890123456';

export function objectCreatedEvent(e: { region: string; bucket: string; key: string; created: Created; requestId: string; sourceIp: string; time: Date }): OssNotification {
  return {
    events: [
      {
        eventName: e.created.eventName,
        eventSource: 'acs:oss',
        eventTime: e.time.toISOString(),
        eventVersion: '1.0',
        region: e.region,
        oss: {
          bucket: { arn: `acs:oss:${e.region}:${ACCOUNT}:${e.bucket}`, name: e.bucket, ownerIdentity: ACCOUNT },
          object: { key: e.key, size: e.created.object.size, deltaSize: e.created.object.size, eTag: e.created.object.etag },
          ossSchemaVersion: '1.0',
          ruleId: 'standin-rule',
        },
        requestParameters: { sourceIPAddress: e.sourceIp },
        responseElements: { requestId: e.requestId },
        userIdentity: { principalId: ACCOUNT },
      },
    ],
  };
}
