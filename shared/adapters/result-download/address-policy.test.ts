import { describe, expect, it } from 'vitest';
import { embeddedIpv4, forbiddenAddressReason, parseIpv6 } from './address-policy.ts';

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'benchmarking'],
  ])('refuses IPv4 %s as %s', (ip, why) => {
    expect(forbiddenAddressReason(ip)).toContain(why);
  });

  it.each([
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
  ])('refuses IPv6 %s as %s', (ip, why) => {
    expect(forbiddenAddressReason(ip)).toContain(why);
  });

  it.each(['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '::10.0.0.1', '::2'])(
    'refuses %s, which wraps a forbidden IPv4 address',
    (ip) => {
      expect(forbiddenAddressReason(ip)).toMatch(/embeds IPv4/);
    },
  );

  it.each(['47.95.1.1', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2400:3200::1', '2606:4700::1111'])('admits the public address %s', (ip) => {
    expect(forbiddenAddressReason(ip)).toBeUndefined();
  });

  it('refuses a public IPv4 address spelled as IPv4-mapped IPv6 too (only plain spellings are admitted)', () => {
    expect(forbiddenAddressReason('::ffff:8.8.8.8')).toMatch(/embeds IPv4 8\.8\.8\.8/);
  });

  it('refuses anything that is not an IP literal', () => {
    expect(forbiddenAddressReason('example.com')).toMatch(/not an IP address/);
    expect(forbiddenAddressReason('')).toMatch(/not an IP address/);
  });
});

describe('parseIpv6 / embeddedIpv4', () => {
  it('parses compressed forms and a dotted-quad tail into the same bytes', () => {
    expect(Buffer.from(parseIpv6('::ffff:7f00:1') ?? []).toString('hex')).toBe('00000000000000000000ffff7f000001');
    expect(Buffer.from(parseIpv6('::ffff:127.0.0.1') ?? []).toString('hex')).toBe('00000000000000000000ffff7f000001');
    expect(Buffer.from(parseIpv6('2001:db8::ff00:42:8329') ?? []).toString('hex')).toBe('20010db8000000000000ff0000428329');
  });

  it('extracts the IPv4 address from mapped, NAT64 and 6to4 spellings', () => {
    expect(embeddedIpv4('::ffff:c0a8:101')).toBe('192.168.1.1');
    expect(embeddedIpv4('64:ff9b::10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIpv4('2002:c0a8:0101::1')).toBe('192.168.1.1');
    expect(embeddedIpv4('2400:3200::1')).toBeUndefined();
  });
});
