import { authorize, authorizeAdmin, type Caller } from './authorization';

const anon: Caller = { kind: 'anonymous' };
const alice: Caller = { kind: 'user', username: 'alice', role: 'user' };
const admin: Caller = { kind: 'user', username: 'root', role: 'admin' };

it.each([
  [anon, 'read', 'unauthenticated'],
  [anon, 'force_delete', 'unauthenticated'],
  [alice, 'read', 'allow'],
  [alice, 'update', 'allow'],
  [alice, 'delete', 'allow'],
  [alice, 'force_delete', 'forbidden'],
  [admin, 'update', 'allow'],
  [admin, 'force_delete', 'allow'],
] as const)('%o %s alice → %s', (caller, action, decision) => {
  expect(authorize(caller, 'alice', action)).toBe(decision);
});

it('forbids a user acting on someone else, and non-admins on admin routes', () => {
  expect(authorize(alice, 'bob', 'read')).toBe('forbidden');
  expect(authorize(alice, 'bob', 'update')).toBe('forbidden');
  expect(authorizeAdmin(alice)).toBe('forbidden');
  expect(authorizeAdmin(anon)).toBe('unauthenticated');
  expect(authorizeAdmin(admin)).toBe('allow');
});
