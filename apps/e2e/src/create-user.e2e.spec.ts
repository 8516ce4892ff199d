import { dbClient, json, loginAs, poll, servicesInTrace, startSystem, uniqueUser, untilApplied, type System } from './harness';

// The walking skeleton, end to end: gateway → user-command → WAL → wal-relay → Kafka →
// user-consumer → PostgreSQL, and one trace id across all four services in Jaeger.
describe('create user end to end', () => {
  let system: System;
  const db = dbClient();

  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system?.stop();
    await db.$disconnect();
  });

  it('accepts a sign-up with 202 and a request id, persists it normalised, and reports the request applied', async () => {
    const user = uniqueUser();
    const res = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { requestId: string };
    expect(accepted).toMatchObject({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), username: user.username, state: 'pending' });
    expect(res.headers.get('location')).toBe(`/v1/requests/${accepted.requestId}`);
    const traceparent = res.headers.get('traceparent');
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const request = await poll('request applied', async () => {
      const body = (await (await fetch(`${system.gateway}${res.headers.get('location')}`)).json()) as { state?: string };
      return body.state === 'applied' ? body : undefined;
    });
    expect(request).toEqual({ requestId: accepted.requestId, type: 'create', username: user.username, state: 'applied' });
    // The state endpoint answers the user (or an admin), not the anonymous creator.
    const { accessToken } = await loginAs(system.gateway, user.username, user.password);
    const state = await fetch(`${system.gateway}/v1/users/${user.username}/state`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(state.status).toBe(200);
    expect(await state.json()).toEqual({ state: 'active' });

    const row = await db.user.findUnique({ where: { username: user.username } });
    expect(row).toMatchObject({ email: user.email.toLowerCase(), phone: user.phone.replace(/\s/g, ''), state: 'active', role: 'user' });
    expect(row!.passwordHash).toMatch(/^\$2[aby]\$04\$/);
  });

  it('puts spans from all four services into the trace whose id the 202 carried', async () => {
    const user = uniqueUser();
    const res = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(res.status).toBe(202);
    const traceId = res.headers.get('traceparent')!.split('-')[1];
    const found = await poll(
      'spans of all four services in Jaeger',
      async () => {
        const t = await servicesInTrace(system.jaeger, traceId);
        return ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'].every((s) => t.services.has(s)) ? t : undefined;
      },
      30_000,
      500,
    );
    for (const name of ['markUserPendingCreate', 'walAppend', 'relayPublish', 'processCreateOperation', 'createUserInDB']) expect(found.spanNames).toContain(name);
  });

  it('answers a repeated sign-up of a pending or existing name without a second user', async () => {
    const user = uniqueUser();
    const send = () => fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([202, 202]);
    // The same client's retry is told about the one request in flight, not a second one.
    const [ida, idb] = [((await a.json()) as { requestId: string }).requestId, ((await b.json()) as { requestId: string }).requestId];
    expect(ida).toBe(idb);
    await untilApplied(system.gateway, ida);
    const again = await send();
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 110002 });
    expect(await db.user.count({ where: { username: user.username } })).toBe(1);
  });

  it('refuses invalid input with 400 naming the field, and the state endpoint to anonymous callers alike for unknown and existing names', async () => {
    const res = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...uniqueUser(), email: 'nope' }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: number; message: string };
    expect(body.code).toBe(110001);
    expect(body.message).toMatch(/^email/);
    expect(res.headers.get('traceparent')).toBeTruthy();
    // Anonymous: the same 401 whether the name exists or not (it would otherwise enumerate accounts).
    const existing = uniqueUser();
    const created = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(existing) });
    await untilApplied(system.gateway, ((await created.json()) as { requestId: string }).requestId);
    const [unknown, known] = await Promise.all(['nobody_here_123', existing.username].map((u) => fetch(`${system.gateway}/v1/users/${u}/state`)));
    expect([unknown.status, known.status]).toEqual([401, 401]);
    expect(await known.json()).toEqual(await unknown.json());
  });
});
