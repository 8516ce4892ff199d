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

  it('reads the replica list and its own entry (the fence), both or neither', () => {
    expect(loadConfig({}).replicas).toBeNull();
    const env = { USER_COMMAND_URLS: 'http://127.0.0.1:8081/, http://127.0.0.1:8082', USER_COMMAND_SELF: 'http://127.0.0.1:8082/' };
    expect(loadConfig(env).replicas).toEqual({ members: ['http://127.0.0.1:8081', 'http://127.0.0.1:8082'], self: 'http://127.0.0.1:8082' });
    expect(() => loadConfig({ USER_COMMAND_URLS: env.USER_COMMAND_URLS })).toThrow(/USER_COMMAND_SELF/);
    expect(() => loadConfig({ USER_COMMAND_SELF: env.USER_COMMAND_SELF })).toThrow(/USER_COMMAND_URLS/);
    expect(() => loadConfig({ ...env, USER_COMMAND_SELF: 'http://127.0.0.1:8083' })).toThrow(/not in USER_COMMAND_URLS/);
    expect(() => loadConfig({ ...env, USER_COMMAND_URLS: 'http://127.0.0.1:8081,http://127.0.0.1:8081/' })).toThrow(/twice/);
  });
});
