// Which tenant an inbox key names: `inbox/<tenant>/<name>` with a valid tenant name and a name, nothing else.
import { describe, expect, it } from 'vitest';
import { inboxTenant } from './submit-from-inbox.ts';

describe('inboxTenant', () => {
  it('reads the tenant from inbox/<tenant>/<name>, however deep the name', () => {
    expect(inboxTenant('inbox/acme/order-1.json')).toBe('acme');
    expect(inboxTenant('inbox/key-2/a/b/c.json')).toBe('key-2');
    expect(inboxTenant(`inbox/${'a'.repeat(63)}/x.json`)).toBe('a'.repeat(63));
  });

  it('names no tenant for a key without a valid tenant segment or without a name after it', () => {
    for (const key of ['inbox/order.json', 'inbox/acme/', 'inbox//x.json', 'inbox/Acme/x.json', 'inbox/-acme/x.json', 'inbox/ac.me/x.json', `inbox/${'a'.repeat(64)}/x.json`, 'results/acme/x.json', 'inbox/'])
      expect(inboxTenant(key), key).toBeUndefined();
  });
});
