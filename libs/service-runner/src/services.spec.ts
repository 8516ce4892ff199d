import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO, SERVICES, serviceCommand, startServices } from './index';

describe('service runner', () => {
  it('knows the four services with their contract ports, write path started from the back', () => {
    expect(SERVICES.map((s) => [s.name, s.defaultPort])).toEqual([
      ['user-consumer', 9465],
      ['wal-relay', 9464],
      ['user-command', 8081],
      ['auth-gateway', 8080],
    ]);
  });

  it('preloads the TS loader and the tracing bootstrap before each main, and the files exist', () => {
    for (const { name } of SERVICES) {
      const args = serviceCommand(name);
      expect(args.indexOf('./libs/tracing/src/register.ts')).toBeLessThan(args.length - 1);
      expect(existsSync(path.join(REPO, args[args.length - 1]))).toBe(true);
    }
    expect(existsSync(path.join(REPO, 'libs/tracing/src/register.ts'))).toBe(true);
  });

  it('refuses two instances of one name before starting anything', async () => {
    const twice = [
      { name: 'x', app: 'wal-relay' as const, port: 1, env: {} },
      { name: 'x', app: 'wal-relay' as const, port: 2, env: {} },
    ];
    await expect(startServices({ instances: twice })).rejects.toThrow(/unique/);
  });
});
