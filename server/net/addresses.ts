/**
 * Which IP addresses a peer must not make us contact (SSRF). The policy is the tables below; `node:net`'s
 * `BlockList` does the parsing and the prefix matching, so no address arithmetic of our own can be wrong.
 *
 * @packageDocumentation
 */
import { BlockList, isIP } from 'node:net';

/** A range: network address, prefix length, and why it is not a public peer. */
type Range = readonly [network: string, prefix: number, why: string];

/** IPv4 ranges that are not public unicast (IANA special-purpose registry, RFC 6890 and successors). */
const SPECIAL_V4: readonly Range[] = [
  ['0.0.0.0', 8, '"this network"'],
  ['10.0.0.0', 8, 'RFC 1918'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local, including cloud metadata endpoints (169.254.169.254)'],
  ['172.16.0.0', 12, 'RFC 1918'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'TEST-NET-1'],
  ['192.88.99.0', 24, '6to4 relay anycast (deprecated)'],
  ['192.168.0.0', 16, 'RFC 1918'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'TEST-NET-2'],
  ['203.0.113.0', 24, 'TEST-NET-3'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved, and the limited broadcast address'],
];

/**
 * IPv6 prefixes that carry an IPv4 address in their next 32 bits: packets go to that IPv4 address (the
 * kernel for a mapped address, a translator or relay otherwise), so it is judged by {@link SPECIAL_V4}.
 */
const EMBEDDING_V6: readonly Range[] = [
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 'NAT64 (RFC 6052)'],
  ['2002::', 16, '6to4'],
];

/** Only this is global unicast IPv6: everything outside it (and outside {@link EMBEDDING_V6}) is refused. */
const GLOBAL_V6: Range = ['2000::', 3, 'global unicast'];

/**
 * Ranges inside {@link GLOBAL_V6} that are not public peers. Outside it, `::/96` (unspecified, loopback, the
 * deprecated IPv4-compatible form), `64:ff9b:1::/48` (local-use NAT64), `fc00::/7` (unique-local),
 * `fe80::/10` (link-local), `fec0::/10` (site-local), `ff00::/8` (multicast), `100::/64` (discard) and
 * everything unallocated are refused already.
 */
const SPECIAL_V6: readonly Range[] = [
  ['2001::', 23, 'IETF protocol assignments (Teredo, ORCHID, ...)'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
];

/** The 32 bits of a dotted quad, as two 16-bit IPv6 groups in hex. */
function v4Groups(address: string): [string, string] {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** An IPv4 range written inside an embedding IPv6 prefix (`10.0.0.0/8` in `2002::/16` is `2002:a00::/24`). */
function embedded([prefix, bits]: Range, [network, v4Bits]: Range): [string, number] {
  const [high, low] = v4Groups(network);
  // Every embedding prefix ends on a group boundary, and the IPv4 address fills the next two groups.
  const groups = [...expand(prefix).slice(0, bits / 16), high, low];
  return [`${groups.join(':')}${groups.length < 8 ? '::' : ''}`, bits + v4Bits];
}

/** The groups of one of our own table's IPv6 prefixes (those are all `x:y::` forms). */
function expand(prefix: string): string[] {
  const [head = '', tail = ''] = prefix.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

function blockList(v4: readonly Range[], v6: readonly (readonly [string, number])[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

/** Addresses that are refused where they are. */
const REFUSED = blockList(SPECIAL_V4, [
  ...SPECIAL_V6.map(([network, prefix]) => [network, prefix] as const),
  ...EMBEDDING_V6.flatMap((embedding) => SPECIAL_V4.map((range) => embedded(embedding, range))),
]);

/** Addresses that may be public: global unicast, and the prefixes whose embedded IPv4 address decides. */
const CANDIDATES_V6 = blockList([], [GLOBAL_V6, ...EMBEDDING_V6].map(([network, prefix]) => [network, prefix] as const));

/**
 * Whether an IP address is one a peer must not make us contact: loopback, RFC 1918 private, link-local,
 * carrier-grade NAT, unique-local, multicast, documentation, reserved, "this network", and IPv4 addresses
 * embedded in IPv6 (mapped, NAT64, 6to4) that are any of those. Brackets and a zone (`%eth0`) are accepted.
 *
 * Fails closed: a string that is not an IP address counts as private (so does a dotted quad with a leading
 * zero, which some parsers read as octal).
 *
 * @param ip - an IPv4 or IPv6 address
 */
export function isPrivateAddress(ip: string): boolean {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return REFUSED.check(text, 'ipv4');
  if (family === 6) return !CANDIDATES_V6.check(text, 'ipv6') || REFUSED.check(text, 'ipv6');
  return true;
}
