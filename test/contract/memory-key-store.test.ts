// The in-memory KeyStore the unit tests use passes the same contract as the real adapters, so what those tests
// prove about authentication holds over SQLite and Table Store too.
import { MemoryKeyStore } from '../support/memory-key-store.ts';
import { runKeyStoreContract } from './key-store-contract.ts';

runKeyStoreContract({ name: 'memory (test double)', create: () => new MemoryKeyStore() });
