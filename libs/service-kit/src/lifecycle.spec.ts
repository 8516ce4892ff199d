import { ConfigError } from '@usersys/config';
import { runMain, startupFailureMessage } from './lifecycle';

describe('runMain', () => {
  it('prints a ConfigError as its one line, anything else with its stack', () => {
    expect(startupFailureMessage(new ConfigError('WAL_NAME', 'use letters'))).toBe('config: WAL_NAME: use letters');
    const plain = new Error('boom');
    expect(startupFailureMessage(plain)).toBe(`fatal: ${plain.stack}`);
    expect(startupFailureMessage('text')).toBe('fatal: text');
  });

  it('writes that to stderr and exits 1 when main fails', async () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    let exited!: (code: unknown) => void;
    const exitCode = new Promise((resolve) => (exited = resolve));
    const exit = jest.spyOn(process, 'exit').mockImplementation((code) => (exited(code), undefined as never));
    try {
      runMain(async () => {
        throw new ConfigError('AUTH_GATEWAY_PORT', '70000 is above the maximum 65535');
      });
      expect(await exitCode).toBe(1);
      expect(written).toEqual(['config: AUTH_GATEWAY_PORT: 70000 is above the maximum 65535\n']);
    } finally {
      write.mockRestore();
      exit.mockRestore();
    }
  });
});
