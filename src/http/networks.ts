import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '../errors.ts';

/**
 * One IP network (CIDR), e.g. 10.0.0.0/8 or fd00::/8. A bare address is a network of one host
 * (/32 or /128). IPv4-mapped IPv6 networks (::ffff:10.0.0.0/104) are kept as written: node's
 * BlockList matches them against plain IPv4 addresses and the other way round.
 */
export interface IpNetwork {
  /** The network's address as written (without brackets). */
  address: string;
  /** Prefix length in bits: 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Loopback: the networks the admin surface answers when ADMIN_ALLOW_FROM is not set. */
export const LOOPBACK_NETWORKS: readonly IpNetwork[] = [
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
];

/** The same as written in the README and error messages. */
export const LOOPBACK_NETWORKS_TEXT = '127.0.0.0/8,::1/128';

/** Turns an IPv4-mapped IPv6 address (::ffff:192.0.2.1) into the IPv4 address; others unchanged. */
export function unmapIPv4(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m && isIPv4(m[1]!) ? m[1]! : address;
}

/** 'ipv4', 'ipv6' or null when `address` is not an IP address (zone ids like fe80::1%eth0 are not). */
export function ipFamily(address: string): 'ipv4' | 'ipv6' | null {
  if (isIPv4(address)) return 'ipv4';
  if (isIPv6(address) && !address.includes('%')) return 'ipv6';
  return null;
}

/**
 * Parses a comma-separated list of networks (CIDRs or bare addresses, IPv4 and IPv6; spaces
 * around entries ignored; empty entries skipped).
 * @param variable the environment variable the list comes from, named in the error
 * @throws ConfigError naming `variable` and the first entry that is not a network, or saying the
 *   list is empty
 */
export function parseNetworks(value: string, variable: string): IpNetwork[] {
  const out: IpNetwork[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const address = (slash === -1 ? entry : entry.slice(0, slash)).replace(/^\[(.*)\]$/, '$1');
    const family = ipFamily(address);
    const max = family === 'ipv4' ? 32 : 128;
    const prefixText = slash === -1 ? String(max) : entry.slice(slash + 1);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === null || !(prefix >= 0 && prefix <= max)) {
      throw new ConfigError(
        `${variable} is invalid: ${JSON.stringify(entry)} is not a network (expected comma-separated CIDRs such as 10.0.0.0/8, 192.168.1.20 or fd00::/8)`,
      );
    }
    out.push({ address, prefix, family });
  }
  if (out.length === 0) throw new ConfigError(`${variable} is invalid: it lists no network (expected comma-separated CIDRs such as 10.0.0.0/8; unset it for the default)`);
  return out;
}

/** The networks as text, comma-separated CIDRs (for logs and messages). */
export function networksText(networks: readonly IpNetwork[]): string {
  return networks.map((n) => `${n.address}/${n.prefix}`).join(',');
}

/**
 * A set of networks that answers "is this address inside?" (node's net.BlockList, which also
 * matches IPv4-mapped IPv6 addresses against IPv4 networks and the other way round).
 */
export class NetworkSet {
  private readonly list = new BlockList();
  readonly size: number;
  constructor(networks: readonly IpNetwork[]) {
    for (const n of networks) this.list.addSubnet(n.address, n.prefix, n.family);
    this.size = networks.length;
  }

  /** True when `address` (IPv4, IPv6 or IPv4-mapped IPv6) is inside one of the networks; false for anything that is not an IP address. */
  has(address: string): boolean {
    const a = unmapIPv4(address);
    const family = ipFamily(a);
    return family !== null && this.list.check(a, family);
  }
}

/**
 * The address of the client behind a request, decided on the socket's peer address. Only when
 * the peer is a trusted proxy is X-Forwarded-For read: from its right end leftwards, past every
 * hop that is itself a trusted proxy; the first other hop is the client. When every hop is
 * trusted, the leftmost one is. IPv4-mapped IPv6 addresses come back as IPv4.
 * @param peer the socket's remote address (req.socket.remoteAddress)
 * @param forwardedFor the X-Forwarded-For header ('' or undefined when absent; several headers joined with ',')
 * @param trusted the trusted proxies (TRUSTED_PROXIES); empty = X-Forwarded-For is never read
 * @returns the client address, or null when it cannot be told (no peer address, or a hop that a
 *   trusted proxy passed on is not an IP address)
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: NetworkSet): string | null {
  if (!peer) return null;
  let current = unmapIPv4(peer);
  if (trusted.size === 0 || !trusted.has(current) || !forwardedFor) return current;
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapIPv4(hops[i]!.replace(/^\[(.*)\]$/, '$1'));
    if (ipFamily(hop) === null) return null;
    current = hop;
    if (!trusted.has(hop)) return hop;
  }
  return current;
}
