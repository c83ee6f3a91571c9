// Runs the PipelineStore contract against the SQLite adapter, on a database file opened the way the local deps open it.
import { SqlitePipelineStore } from '../../shared/adapters/sqlite/sqlite-pipeline-store.ts';
import type { PipelineStore } from '../../shared/ports/pipeline-store.ts';
import { runPipelineStoreContract } from './pipeline-store-contract.ts';
import { sqliteStoreFiles } from './sqlite-store-files.ts';

runPipelineStoreContract({ name: 'sqlite', ...sqliteStoreFiles<PipelineStore>('pipeline-store-', (db) => new SqlitePipelineStore(db)) });
