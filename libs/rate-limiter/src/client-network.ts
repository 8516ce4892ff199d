import ipaddr from 'ipaddr.js';

/**
 * The network a client address belongs to, for every per-client key (rate limits, lockout): an
 * IPv4 address stands for itself; an IPv6 address stands for its /64, since one subscriber
 * usually gets a whole /64 and can rotate addresses inside it for free; an IPv4-mapped IPv6
 * address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 peer) is that IPv4
 * address. The zone id (`%eth0`) is dropped. Returns a canonical form, so every spelling of one
 * address or prefix (full, compressed, upper case) gives one key. Anything that is not an IP
 * address is returned unchanged.
 */
export function clientNetwork(address: string): string {
  const withoutZone = address.split('%')[0];
  if (ipaddr.IPv4.isValidFourPartDecimal(withoutZone)) return ipaddr.IPv4.parse(withoutZone).toString();
  if (!ipaddr.IPv6.isValid(withoutZone)) return address;
  const v6 = ipaddr.IPv6.parse(withoutZone);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${new ipaddr.IPv6([...v6.parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}
