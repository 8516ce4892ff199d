import { ownerOf } from '@usersys/service-kit';
import { UsernameOwnership } from './ownership';

const members = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082'];
const names = Array.from({ length: 200 }, (_, i) => `name-${i}`);

describe('UsernameOwnership (the fence)', () => {
  it('accepts exactly the usernames rendezvous hashing gives this replica', () => {
    for (const self of members) {
      const fence = new UsernameOwnership({ members, self });
      for (const name of names) expect(fence.owns(name)).toBe(ownerOf(members, name) === self);
    }
  });

  it('refuses a name it does not own with 421 (110015) before any work', () => {
    const other = names.find((n) => ownerOf(members, n) === members[1]) as string;
    const fence = new UsernameOwnership({ members, self: members[0] });
    expect(() => fence.checkWrite(other)).toThrow(expect.objectContaining({ status: 421, code: 110015 }));
  });

  it('owns every name without a replica list (a single replica)', () => {
    const fence = new UsernameOwnership(null);
    for (const name of names) expect(() => fence.checkWrite(name)).not.toThrow();
  });
});
