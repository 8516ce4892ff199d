import { ownerOf, rankMembers } from './rendezvous';

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const three = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082', 'http://127.0.0.1:8083'];

function countByOwner(members: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(ownerOf(members, key), (counts.get(ownerOf(members, key)) ?? 0) + 1);
  return counts;
}

describe('rendezvous hashing', () => {
  it('is stable: the same owner whatever the order of the list', () => {
    const reversed = [...three].reverse();
    for (const key of keys.slice(0, 500)) expect(ownerOf(reversed, key)).toBe(ownerOf(three, key));
  });

  it('is fixed across processes and versions (a known key keeps its known owner)', () => {
    // Gateways and user-command replicas of different builds must agree: these values are pinned.
    expect(['alice', 'bob', 'carol', 'dave'].map((k) => ownerOf(three, k))).toEqual([three[0], three[2], three[1], three[0]]);
  });

  it('spreads keys evenly (each of 3 members owns 33 % ± 3 % of 10,000 keys)', () => {
    const counts = countByOwner(three);
    expect([...counts.keys()].sort()).toEqual([...three].sort());
    for (const n of counts.values()) expect(Math.abs(n / keys.length - 1 / 3)).toBeLessThan(0.03);
  });

  it('moves only the leaving member\'s keys, each to the member that ranked second', () => {
    const leaving = three[1];
    const remaining = three.filter((m) => m !== leaving);
    let moved = 0;
    for (const key of keys) {
      const before = rankMembers(three, key);
      const after = ownerOf(remaining, key);
      if (before[0] === leaving) {
        moved++;
        expect(after).toBe(before[1]);
      } else {
        expect(after).toBe(before[0]);
      }
    }
    expect(moved).toBe(countByOwner(three).get(leaving));
  });

  it('moves only about 1/n of the keys to a member that joins', () => {
    const four = [...three, 'http://127.0.0.1:8084'];
    const moved = keys.filter((key) => ownerOf(three, key) !== ownerOf(four, key));
    for (const key of moved) expect(ownerOf(four, key)).toBe(four[3]);
    expect(Math.abs(moved.length / keys.length - 1 / 4)).toBeLessThan(0.03);
  });

  it('a list of one owns everything; an empty list is refused', () => {
    expect(ownerOf(['http://127.0.0.1:8081'], 'alice')).toBe('http://127.0.0.1:8081');
    expect(() => ownerOf([], 'alice')).toThrow('no members');
  });
});
