import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO, SERVICES, serviceCommand } from './index';

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
});
