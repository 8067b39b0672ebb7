import { describe, expect, it } from 'vitest';
import { isPublicAddress, literalPrivateTarget, PrivateTargetError, resolvePublicTarget } from '../../functions/domain/webhook-targets.js';

describe('isPublicAddress', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'cloud metadata (link-local)'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.10', 'documentation'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['203.0.113.5', 'documentation'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses IPv4 %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '52.94.236.248'])('accepts public IPv4 %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', '6to4 of 127.0.0.1'],
    ['2001::1', 'Teredo'],
    ['::127.0.0.1', 'IPv4-compatible'],
  ])('refuses IPv6 %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '2600:1f18::1'])('accepts public IPv6 %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('judges IPv4-mapped IPv6 addresses by their IPv4 address, in either notation', () => {
    expect(isPublicAddress('::ffff:127.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:7f00:1')).toBe(false);
    expect(isPublicAddress('::ffff:169.254.169.254')).toBe(false);
    expect(isPublicAddress('::ffff:a9fe:a9fe')).toBe(false);
    expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:808:808')).toBe(true);
  });

  it('treats what is not an IP address as not public', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('literalPrivateTarget', () => {
  it.each([
    'http://localhost:8080/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://127.0.0.1/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:9000/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'https://[fd00::1]/hook',
    'https://10.0.0.5/hook',
  ])('names why %s is refused', (url) => {
    expect(literalPrivateTarget(url)).toMatch(/is this machine|is not a public address/);
  });

  it.each(['https://hooks.example.com/x', 'https://8.8.8.8/x', 'https://[2606:4700:4700::1111]/x', 'http://localhost.example.com/x'])('lets %s through', (url) => {
    expect(literalPrivateTarget(url)).toBeUndefined();
  });
});

describe('resolvePublicTarget', () => {
  const resolvesTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));

  it('gives the addresses to connect to when all are public', async () => {
    const addresses = await resolvePublicTarget(new URL('https://hooks.example.com/x'), resolvesTo('93.184.216.34', '2606:2800:220:1::1'));
    expect(addresses).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('refuses a name when ANY of its addresses is private', async () => {
    const refused = resolvePublicTarget(new URL('https://hooks.example.com/x'), resolvesTo('93.184.216.34', '10.0.0.7'));
    await expect(refused).rejects.toThrow(PrivateTargetError);
    await expect(refused).rejects.toThrow('target resolves to a private address (10.0.0.7)');
  });

  it('checks a literal IP address without asking DNS', async () => {
    const lookup = async () => {
      throw new Error('DNS must not be asked');
    };
    await expect(resolvePublicTarget(new URL('http://[::ffff:a9fe:a9fe]/'), lookup)).rejects.toThrow('private address (::ffff:a9fe:a9fe)');
    expect(await resolvePublicTarget(new URL('http://8.8.8.8/'), lookup)).toEqual([{ address: '8.8.8.8', family: 4 }]);
  });
});
