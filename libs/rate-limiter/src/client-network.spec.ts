import { clientNetwork } from './client-network';

describe('clientNetwork', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('10.0.0.1')).toBe('10.0.0.1');
  });

  it('buckets an IPv6 address by its /64, whatever the spelling', () => {
    const forms = ['2001:db8:aa:bb::1', '2001:0db8:00aa:00bb:0000:0000:0000:0001', '2001:DB8:AA:BB:FFFF:1:2:3', '2001:db8:aa:bb:1234:5678:9abc:def0', '2001:db8:aa:bb::'];
    for (const form of forms) expect(clientNetwork(form)).toBe('2001:db8:aa:bb::/64');
    expect(clientNetwork('2001:db8:aa:bc::1')).toBe('2001:db8:aa:bc::/64'); // the next /64 is another bucket
    expect(clientNetwork('::1')).toBe('::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8::/64');
  });

  it('drops a zone id', () => {
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80::/64');
    expect(clientNetwork('fe80::abcd:1%enp0s31f6.100')).toBe('fe80::/64');
    expect(clientNetwork('fe80::1%25')).toBe('fe80::/64');
  });

  it('maps an IPv4-mapped IPv6 address to its IPv4 address', () => {
    expect(clientNetwork('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientNetwork('::FFFF:203.0.113.9')).toBe('203.0.113.9');
    expect(clientNetwork('::ffff:cb00:7109')).toBe('203.0.113.9');
    expect(clientNetwork('0:0:0:0:0:ffff:10.1.2.3')).toBe('10.1.2.3');
  });

  it('returns anything that is not an IP address unchanged', () => {
    expect(clientNetwork('unknown')).toBe('unknown');
    expect(clientNetwork('127.1')).toBe('127.1');
    expect(clientNetwork('')).toBe('');
  });
});
