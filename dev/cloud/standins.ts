// The three cloud services of the rehearsal on loopback: Table Store (task and conversation tables created),
// OSS (the bucket) and EventBridge (the bus), all accepting the functions' STS-style test credentials and the
// operator's test key.
import { startEventBridgeStandin, type EventBridgeStandin } from '../standins/eventbridge/server.ts';
import { OssStandin } from '../standins/oss/oss-standin.ts';
import { TablestoreStandin } from '../standins/tablestore/tablestore-standin.ts';
import { TablestoreClient } from '../../shared/adapters/tablestore/tablestore-client.ts';
import { createConversationTable } from '../../shared/adapters/tablestore/tablestore-conversation-store.ts';
import { createGuardTables, guardTableNames } from '../../shared/adapters/tablestore/guard-tables.ts';
import { createKeyTable, keyTableName } from '../../shared/adapters/tablestore/tablestore-key-store.ts';
import { createTaskTables, taskTableNames } from '../../shared/adapters/tablestore/task-tables.ts';
import { createPipelineTable, pipelineTableNames } from '../../shared/adapters/tablestore/tablestore-pipeline-store.ts';
import type { CloudCredentials } from '../../shared/runtime/fc-credentials.ts';

/** What FC would hand each invocation as the role's STS credentials; only the stand-ins accept them. */
export const REHEARSAL_CREDENTIALS: Required<CloudCredentials> = {
  accessKeyId: 'STS.rehearsal-key',
  accessKeySecret: 'rehearsal-secret-0123456789',
  securityToken: 'rehearsal-sts-token',
};

/** The operator's access key in the rehearsal (`npm run ops`), accepted by every stand-in; obviously fake. */
export const REHEARSAL_OPERATOR_KEY = {
  accessKeyId: 'LTAIrehearsaloperator1',
  accessKeySecret: 'rehearsal-operator-secret-0001',
};

export interface StandinSettings {
  region: string;
  bucket: string;
  bus: string;
  tablePrefix: string;
  /** Where OSS keeps object bodies (a temp folder when absent). */
  ossDir?: string;
}

export interface Standins {
  ots: TablestoreStandin;
  oss: OssStandin;
  bus: EventBridgeStandin;
  close(): Promise<void>;
}

export async function startStandins(s: StandinSettings): Promise<Standins> {
  const c = REHEARSAL_CREDENTIALS;
  const op = REHEARSAL_OPERATOR_KEY;
  const started: (() => Promise<void>)[] = [];
  try {
    const ots = await new TablestoreStandin({ credentials: [c, op] }).start();
    started.push(() => ots.stop());
    const oss = await OssStandin.start({ region: s.region, buckets: [s.bucket], credentials: { [c.accessKeyId]: c, [op.accessKeyId]: op }, ...(s.ossDir ? { dir: s.ossDir } : {}) });
    started.push(() => oss.close());
    const bus = await startEventBridgeStandin({ buses: [s.bus], credentials: [c, op] });
    started.push(() => bus.close());
    // provisioning, as the deploy would do it once: the functions only read and write rows
    const setup = new TablestoreClient({ endpoint: ots.endpoint, instance: ots.instance, credentials: () => c });
    await createTaskTables(setup, taskTableNames(s.tablePrefix));
    await createConversationTable(setup, `${s.tablePrefix}conversations`);
    await createGuardTables(setup, guardTableNames(s.tablePrefix));
    await createKeyTable(setup, keyTableName(s.tablePrefix));
    await createPipelineTable(setup, pipelineTableNames(s.tablePrefix));
    return { ots, oss, bus, close: () => closeAll(started) };
  } catch (e) {
    await closeAll(started);
    throw e;
  }
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}
