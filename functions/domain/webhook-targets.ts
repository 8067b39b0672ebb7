/**
 * Where webhooks may send: in production only to public addresses, so a webhook URL cannot reach
 * the deployment's own network (private ranges, loopback, link-local with the cloud metadata
 * address 169.254.169.254, unique-local IPv6…). The ranges follow IANA's IPv4 and IPv6
 * special-purpose address registries; node:net's BlockList does the matching (no dependency).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Not globally reachable: IANA special-purpose IPv4 blocks, plus multicast and the reserved 240/4. */
const IPV4_NON_PUBLIC: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

/** Inside global unicast (2000::/3), the blocks that are not globally reachable or tunnel to IPv4. */
const IPV6_NON_PUBLIC: readonly [string, number][] = [
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: tunnels to an embedded IPv4 address
  ['3fff::', 20], // documentation
];

/** A BlockList of these subnets; built by expressions marked pure, so bundles that never check an address (the sdk-api) drop them. */
function blockList(ipv4: readonly [string, number][], ipv6: readonly [string, number][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ipv4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of ipv6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}
const nonPublic = /* @__PURE__ */ blockList(IPV4_NON_PUBLIC, IPV6_NON_PUBLIC);
const globalUnicast = /* @__PURE__ */ blockList([], [['2000::', 3]]);
const ipv4Mapped = /* @__PURE__ */ blockList([], [['::ffff:0:0', 96]]);

/**
 * Whether an IP address is public (globally reachable unicast). IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`) are judged by their IPv4 address; any other IPv6 address must be global
 * unicast (2000::/3), which leaves out loopback, link-local, unique-local, multicast and the
 * rest. Anything that is not an IP address, or carries a zone (`fe80::1%eth0`), is not public.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !nonPublic.check(address, 'ipv4');
  if (family !== 6 || address.includes('%')) return false;
  // BlockList matches IPv4 rules against IPv4-mapped IPv6 addresses.
  if (ipv4Mapped.check(address, 'ipv6')) return !nonPublic.check(address, 'ipv6');
  return globalUnicast.check(address, 'ipv6') && !nonPublic.check(address, 'ipv6');
}

/** A URL's host as an IP address, when it is one (`[::1]` → `::1`); the URL parser has already normalised `0x7f.1` and the like. */
const ipOf = (hostname: string) => {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : undefined;
};

/**
 * Why a webhook URL visibly targets a non-public host (`localhost`, `*.localhost`, or a literal
 * non-public IP address), or undefined. Names that resolve to private addresses are caught at
 * send time (`resolvePublicTarget`), since DNS can change after the webhook is saved.
 */
export function literalPrivateTarget(url: string): string | undefined {
  const { hostname } = new URL(url);
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return `${hostname} is this machine`;
  const ip = ipOf(hostname);
  if (ip && !isPublicAddress(ip)) return `${ip} is not a public address`;
  return undefined;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** All the addresses of a name, as the system resolver gives them (what a connection would use). */
export const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** A target that resolves to a non-public address; the delivery fails at once, without a request. */
export class PrivateTargetError extends Error {
  override readonly name = 'PrivateTargetError';
}

/**
 * The addresses to connect to for a URL's host, all of them public, or a PrivateTargetError if
 * ANY is not (a name with one private address among public ones could be steered to it).
 */
export async function resolvePublicTarget(url: URL, lookup: Lookup = systemLookup): Promise<ResolvedAddress[]> {
  const ip = ipOf(url.hostname);
  const addresses = ip ? [{ address: ip, family: isIP(ip) as 4 | 6 }] : await lookup(url.hostname);
  const refused = addresses.find(({ address }) => !isPublicAddress(address));
  if (refused || addresses.length === 0) {
    throw new PrivateTargetError(`target resolves to a private address (${refused?.address ?? 'none'}): refused`);
  }
  return addresses;
}
