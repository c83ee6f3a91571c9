// Which IP addresses a result download may connect to: public unicast only, IPv4 and IPv6 alike, including
// IPv4 addresses wrapped in IPv6 (mapped, compatible, NAT64, 6to4), so no spelling slips through.
import { BlockList, isIP } from 'node:net';

const V4_BLOCKED: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (shared address space, incl. cloud metadata 100.100.100.200)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (incl. broadcast)'],
];

const V6_BLOCKED: readonly [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignments (incl. Teredo)'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

const BLOCKED = new BlockList();
for (const [net, prefix] of V4_BLOCKED) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of V6_BLOCKED) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** Parses an IPv6 literal (with `::` and an optional dotted-quad tail) into 16 bytes; undefined if invalid. */
export function parseIpv6(address: string): Uint8Array | undefined {
  const addr = address.replace(/^\[|\]$/g, '').split('%')[0] ?? '';
  if (isIP(addr) !== 6) return undefined;
  let text = addr;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    tail.push(...dotted[1].split('.').map(Number));
    text = text.slice(0, -dotted[1].length) + '0:0';
  }
  const [left = '', right] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

const startsWith = (b: Uint8Array, prefix: readonly number[]) => prefix.every((x, i) => b[i] === x);

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 well-known prefix, 6to4), if any. */
export function embeddedIpv4(address: string): string | undefined {
  const b = parseIpv6(address);
  if (!b) return undefined;
  const quad = (o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  const zeros10 = new Array<number>(10).fill(0);
  if (startsWith(b, [...zeros10, 0xff, 0xff])) return quad(12); // ::ffff:a.b.c.d
  // ::a.b.c.d (deprecated "compatible"); :: and ::1 are judged as IPv6 themselves
  if (startsWith(b, [...zeros10, 0, 0]) && !(startsWith(b, [...zeros10, 0, 0, 0, 0, 0]) && (b[15] ?? 0) <= 1)) return quad(12);
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return quad(12); // 64:ff9b::/96
  if (startsWith(b, [0x20, 0x02])) return quad(2); // 2002:aabb:ccdd::/48
  return undefined;
}

/**
 * Why `address` must not be connected to, or undefined when it is a public unicast address.
 * Anything that is not a valid IP literal is refused too.
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const addr = address.replace(/^\[|\]$/g, '');
  const family = isIP(addr);
  if (family === 4) {
    if (!BLOCKED.check(addr, 'ipv4')) return undefined;
    return `${addr} is ${describe(addr, 'ipv4')}`;
  }
  if (family === 6) {
    const v4 = embeddedIpv4(addr);
    // ::ffff:0:0/96 and ::/96 carry an IPv4 address; judge that address (an embedded public v4 behind
    // NAT64/6to4 is still refused: nothing DashScope serves needs those spellings).
    if (v4 !== undefined) {
      const inner = forbiddenAddressReason(v4);
      return `${addr} embeds IPv4 ${v4}${inner ? ` (${inner})` : ''}`;
    }
    if (!BLOCKED.check(addr, 'ipv6')) return undefined;
    return `${addr} is ${describe(addr, 'ipv6')}`;
  }
  return `${address} is not an IP address`;
}

function describe(addr: string, type: 'ipv4' | 'ipv6'): string {
  const table = type === 'ipv4' ? V4_BLOCKED : V6_BLOCKED;
  for (const [net, prefix, reason] of table) {
    const one = new BlockList();
    one.addSubnet(net, prefix, type);
    if (one.check(addr, type)) return `${reason} (${net}/${prefix})`;
  }
  return 'not public';
}
