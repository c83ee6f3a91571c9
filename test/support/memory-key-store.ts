// A KeyStore in memory for unit tests of what sits on the port (authentication, the keys command), counting the
// calls each method receives so tests can hold a request to its one store call.
import { KeyExistsError, type KeyStore, type StoredKey } from '../../shared/ports/key-store.ts';

export class MemoryKeyStore implements KeyStore {
  readonly keys: StoredKey[] = [];
  readonly calls = { create: 0, findByHash: 0, list: 0, revoke: 0 };

  async create(key: StoredKey): Promise<void> {
    this.calls.create++;
    if (this.keys.some((k) => k.id === key.id || k.hash === key.hash)) throw new KeyExistsError(`client key ${key.id} exists`);
    this.keys.push(structuredClone(key));
  }

  async findByHash(hash: string): Promise<StoredKey | undefined> {
    this.calls.findByHash++;
    const k = this.keys.find((x) => x.hash === hash);
    return k && structuredClone(k);
  }

  async list(): Promise<StoredKey[]> {
    this.calls.list++;
    return structuredClone(this.keys).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async revoke(idOrName: string, now: Date): Promise<StoredKey[]> {
    this.calls.revoke++;
    const hit = this.keys.filter((k) => !k.revoked && (k.id === idOrName || k.name === idOrName));
    for (const k of hit) Object.assign(k, { revoked: true, revokedAt: now.toISOString() });
    return structuredClone(hit);
  }

  /** Store calls so far, all methods together. */
  get total(): number {
    return this.calls.create + this.calls.findByHash + this.calls.list + this.calls.revoke;
  }
}
