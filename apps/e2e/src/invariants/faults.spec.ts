import { CLUSTER_FAULTS } from './cluster-faults';
import { FAULTS, selectFaults, selectedFaults } from './faults';

describe('fault selection (INVARIANT_FAULTS)', () => {
  it('runs every fault of a suite when unset, in its order', () => {
    expect(selectedFaults({})).toBe(FAULTS);
    expect(selectFaults(CLUSTER_FAULTS, {}).map((f) => f.name)).toEqual(['kafka broker SIGKILL', 'kafka leaders moved back (preferred election)', 'redis master SIGKILL', 'user-command replica SIGKILL', 'user-consumer replica SIGKILL', 'auth-gateway replica SIGKILL']);
  });

  it('picks faults by name prefix, case-insensitive, and refuses names that match none', () => {
    expect(selectFaults(CLUSTER_FAULTS, { INVARIANT_FAULTS: 'Redis, auth' }).map((f) => f.name)).toEqual(['redis master SIGKILL', 'auth-gateway replica SIGKILL']);
    expect(() => selectFaults(CLUSTER_FAULTS, { INVARIANT_FAULTS: 'postgres' })).toThrow(/matches none of: kafka broker SIGKILL/);
  });
});
