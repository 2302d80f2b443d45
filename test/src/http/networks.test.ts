/**
 * Networks of ADMIN_ALLOW_FROM and TRUSTED_PROXIES: parsing (errors name the variable), membership
 * (IPv4, IPv6, IPv4-mapped IPv6 both ways) and the client address behind trusted proxies only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.ts';
import { LOOPBACK_NETWORKS, NetworkSet, clientAddress, parseNetworks, unmapIPv4 } from '../../../src/http/networks.ts';

describe('parseNetworks', () => {
  it('reads CIDRs and bare addresses, IPv4 and IPv6, spaces and empty entries ignored', () => {
    assert.deepEqual(parseNetworks(' 10.0.0.0/8, 192.168.1.20 ,fd00::/8,[::1],::ffff:10.0.0.0/104,', 'X'), [
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '192.168.1.20', prefix: 32, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
      { address: '::1', prefix: 128, family: 'ipv6' },
      { address: '::ffff:10.0.0.0', prefix: 104, family: 'ipv6' },
    ]);
  });

  it('refuses anything else, naming the variable and the entry, in one line', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.300/8', 'fd00::/129', '10.0.0.0/', '10.0.0.0/x', 'example.com', '10.0.0.0/8/8', 'fe80::1%eth0', '*', ' , ']) {
      assert.throws(
        () => parseNetworks(bad, 'ADMIN_ALLOW_FROM'),
        (e: unknown) => e instanceof ConfigError && /^ADMIN_ALLOW_FROM is invalid: /.test(e.message) && !e.message.includes('\n'),
        bad,
      );
    }
  });
});

describe('NetworkSet', () => {
  it('answers membership for IPv4, IPv6 and IPv4-mapped IPv6 addresses; false for non-addresses', () => {
    const s = new NetworkSet(parseNetworks('10.0.0.0/8,fd00::/8', 'X'));
    assert.equal(s.has('10.1.2.3'), true);
    assert.equal(s.has('::ffff:10.1.2.3'), true);
    assert.equal(s.has('::ffff:a01:203'), true, 'hex form of an IPv4-mapped address');
    assert.equal(s.has('11.0.0.1'), false);
    assert.equal(s.has('fd12::1'), true);
    assert.equal(s.has('fe80::1'), false);
    assert.equal(s.has('not-an-ip'), false);
    assert.equal(s.has(''), false);
    const mapped = new NetworkSet(parseNetworks('::ffff:192.0.2.0/120', 'X'));
    assert.equal(mapped.has('192.0.2.9'), true, 'an IPv4-mapped network holds the plain IPv4 address');
    const loop = new NetworkSet(LOOPBACK_NETWORKS);
    for (const a of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) assert.equal(loop.has(a), true, a);
    for (const a of ['192.0.2.2', '::2', '0.0.0.0']) assert.equal(loop.has(a), false, a);
  });

  it('unmapIPv4 turns ::ffff:a.b.c.d into a.b.c.d only', () => {
    assert.equal(unmapIPv4('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(unmapIPv4('::FFFF:10.0.0.1'), '10.0.0.1');
    assert.equal(unmapIPv4('::1'), '::1');
    assert.equal(unmapIPv4('::ffff:999.0.0.1'), '::ffff:999.0.0.1');
  });
});

describe('clientAddress', () => {
  const none = new NetworkSet([]);
  const proxies = new NetworkSet(parseNetworks('10.0.0.0/24,fd00::1', 'TRUSTED_PROXIES'));

  it('without trusted proxies the socket peer is the client, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress('203.0.113.9', '127.0.0.1', none), '203.0.113.9');
    assert.equal(clientAddress('::ffff:203.0.113.9', undefined, none), '203.0.113.9');
    assert.equal(clientAddress(undefined, '127.0.0.1', none), null);
  });

  it('an untrusted peer’s X-Forwarded-For is ignored', () => {
    assert.equal(clientAddress('203.0.113.9', '127.0.0.1', proxies), '203.0.113.9');
  });

  it('from a trusted proxy: walks right to left past trusted hops; the first other hop is the client', () => {
    assert.equal(clientAddress('10.0.0.5', '198.51.100.7', proxies), '198.51.100.7');
    assert.equal(clientAddress('10.0.0.5', '127.0.0.1, 198.51.100.7', proxies), '198.51.100.7', 'a spoofed left entry is not reached');
    assert.equal(clientAddress('10.0.0.5', '198.51.100.7, 10.0.0.6', proxies), '198.51.100.7', 'two trusted hops');
    assert.equal(clientAddress('::ffff:10.0.0.5', '198.51.100.7,fd00::1', proxies), '198.51.100.7');
    assert.equal(clientAddress('10.0.0.5', '10.0.0.7, 10.0.0.6', proxies), '10.0.0.7', 'every hop trusted: the leftmost');
    assert.equal(clientAddress('10.0.0.5', '', proxies), '10.0.0.5', 'no header: the proxy itself');
    assert.equal(clientAddress('10.0.0.5', '[2001:db8::1]', proxies), '2001:db8::1');
    assert.equal(clientAddress('10.0.0.5', '::ffff:198.51.100.7', proxies), '198.51.100.7');
  });

  it('a hop passed on by a trusted proxy that is not an address leaves the client unknown (null)', () => {
    assert.equal(clientAddress('10.0.0.5', '198.51.100.7, garbage', proxies), null);
    assert.equal(clientAddress('10.0.0.5', 'garbage, 198.51.100.7', proxies), '198.51.100.7', 'garbage left of the client is never read');
  });
});
