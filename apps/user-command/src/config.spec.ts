import { PENDING_MARKER_FLOOR_MS, pendingMarkerTtlMs } from '@usersys/pending-marker';
import { loadConfig } from './config';

describe('configuration', () => {
  it('gives the pending marker max(configured, 10 min) plus 0-5 s of jitter', () => {
    const short = loadConfig({ PENDING_MARKER_TTL: '1m' }).pendingMarkerTtlMs;
    expect(pendingMarkerTtlMs(short, () => 0)).toBe(PENDING_MARKER_FLOOR_MS);
    expect(pendingMarkerTtlMs(short, () => 0.9999999)).toBe(PENDING_MARKER_FLOOR_MS + 5000);
    const long = loadConfig({ PENDING_MARKER_TTL: '20m' }).pendingMarkerTtlMs;
    expect(pendingMarkerTtlMs(long, () => 0.5)).toBe(20 * 60_000 + 2500);
  });

  it('has sane defaults and refuses bad values naming the variable', () => {
    expect(loadConfig({})).toMatchObject({ port: 8081, bcryptCost: 10, hashWorkers: 2, slowStepMs: 200, bodyLimit: '16kb', reservationTtlMs: 15 * 60_000 });
    expect(() => loadConfig({ BCRYPT_COST: '3' })).toThrow(/BCRYPT_COST/);
    expect(() => loadConfig({ SLOW_STEP_THRESHOLD: 'soon' })).toThrow(/SLOW_STEP_THRESHOLD/);
    expect(() => loadConfig({ WAL_NAME: '../escape' })).toThrow(/WAL_NAME/);
  });
});
