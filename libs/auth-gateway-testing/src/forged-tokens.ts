/** Forgeries of a genuine JWT for the tests: what an attacker can make without the key. */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, payload, signature] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()), signature };
};

/** The same claims, `alg: none` and no signature. */
export function withAlgNone(token: string): string {
  const { header, payload } = parts(token);
  return `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
}

/** Claims changed (e.g. another `sub`, `role: admin`, a higher `ver`), the original signature kept. */
export function withChangedPayload(token: string, changes: Record<string, unknown>): string {
  const { header, payload, signature } = parts(token);
  return `${b64(header)}.${b64({ ...payload, ...changes })}.${signature}`;
}

/** The decoded claims (no verification). */
export function claimsOf(token: string): Record<string, unknown> {
  return parts(token).payload;
}
