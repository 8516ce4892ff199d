import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserCommandClient } from './user-command-client';

// Real sockets, no user-command: a port nobody listens on, and a server that takes the request
// and never answers (or drops the connection). 503 must only ever mean "nothing was written".
async function server(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))),
  };
}

describe('UserCommandClient failures', () => {
  it('connection refused: 503 with Retry-After (the request never arrived)', async () => {
    const s = await server(() => undefined);
    const url = s.url;
    await s.close();
    const client = new UserCommandClient(url, 'token', 1000);
    await expect(client.forward({ method: 'POST', path: '/internal/users', body: {} })).rejects.toMatchObject({ status: 503, code: 120001, headers: { 'Retry-After': '1' } });
    client.close();
  });

  it('no answer in time after the request was sent: 504, outcome unknown', async () => {
    const s = await server(() => undefined); // reads the request, never answers
    const client = new UserCommandClient(s.url, 'token', 300);
    await expect(client.forward({ method: 'POST', path: '/internal/users', body: { a: 1 } })).rejects.toMatchObject({ status: 504, code: 120002 });
    client.close();
    await s.close();
  });

  it('connection dropped after the request arrived: 504, outcome unknown', async () => {
    const s = await server((req) => req.socket.destroy());
    const client = new UserCommandClient(s.url, 'token', 5000);
    await expect(client.forward({ method: 'POST', path: '/internal/users', body: { a: 1 } })).rejects.toMatchObject({ status: 504, code: 120002 });
    client.close();
    await s.close();
  });
});
