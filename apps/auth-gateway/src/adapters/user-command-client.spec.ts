import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserCommandClient, UserCommandRouter } from './user-command-client';

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

describe('UserCommandRouter (rendezvous hashing over the replicas)', () => {
  // Two fake replicas that say who they are; the router must pick the one rendezvous hashing names.
  async function replica(name: string, status = 200) {
    const seen: string[] = [];
    const s = await server((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ replica: name }));
    });
    return { ...s, seen };
  }
  const names = Array.from({ length: 40 }, (_, i) => `user-${i}`);

  it('sends each username to its owner, and only there', async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const router = new UserCommandRouter([a.url, b.url], 'token', { timeoutMs: 1000 });
    for (const name of names) {
      const res = await router.forward({ method: 'PATCH', path: `/internal/users/${name}`, routeKey: name, body: {} });
      const owner = router.ownerOf(name) === a.url ? 'a' : 'b';
      expect(JSON.parse(res.body.toString())).toEqual({ replica: owner });
    }
    // Both replicas got some names (40 names, two members).
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
    expect(a.seen.length + b.seen.length).toBe(names.length);
    router.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('owner down: a write is refused with 503 + Retry-After (no hand-over); a read is answered by the next replica', async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    await a.close(); // a's port now refuses connections
    const refusals: string[] = [];
    const router = new UserCommandRouter([a.url, b.url], 'token', { timeoutMs: 1000, onRefusal: (reason) => refusals.push(reason) });
    const ownedByA = names.find((n) => router.ownerOf(n) === a.url) as string;
    await expect(router.forward({ method: 'PATCH', path: `/internal/users/${ownedByA}`, routeKey: ownedByA, body: {} })).rejects.toMatchObject({ status: 503, code: 120001, headers: { 'Retry-After': '1' } });
    expect(b.seen).toEqual([]);
    const read = await router.forward({ method: 'GET', path: `/internal/users/${ownedByA}`, routeKey: ownedByA });
    expect(JSON.parse(read.body.toString())).toEqual({ replica: 'b' });
    // Counted once, for the refused write; the read that moved on to b was answered.
    expect(refusals).toEqual(['unreachable']);
    router.close();
    await b.close();
  });

  it('the owner refusing the name (421, its fence) becomes 503 120004 + Retry-After', async () => {
    const a = await replica('a', 421);
    const refusals: string[] = [];
    const router = new UserCommandRouter([a.url], 'token', { timeoutMs: 1000, onRefusal: (reason) => refusals.push(reason) });
    await expect(router.forward({ method: 'DELETE', path: '/internal/users/alice', routeKey: 'alice' })).rejects.toMatchObject({ status: 503, code: 120004, headers: { 'Retry-After': '1' } });
    expect(refusals).toEqual(['not_owner']);
    router.close();
    await a.close();
  });
});
