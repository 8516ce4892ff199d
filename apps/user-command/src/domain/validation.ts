import { safeText, USERNAME_PATTERN } from '@usersys/event-schema';
import { z } from 'zod';
import { CANONICAL_PHONE, normalizeEmail, normalizePhone } from './normalize';

// Every text field starts with safeText, so NUL, the other control characters (tab and newline
// too) and unpaired surrogates are refused with 400 naming the field, before any trim or
// normalisation could hide them. Passwords included: the contract refuses them in every text
// field, no keyboard types them, and bcrypt implementations written in C stop at a NUL, so a
// hash made from such a password would not verify the same everywhere.

// bcrypt silently ignores bytes past 72: longer passwords are refused, not truncated.
const password = safeText()
  .refine((p) => Buffer.byteLength(p, 'utf8') >= 8, 'must be at least 8 bytes')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'must be at most 72 bytes');
const email = safeText()
  .max(254)
  .transform(normalizeEmail)
  .pipe(z.email({ message: 'is not a valid email address' }));
const phone = safeText()
  .max(32)
  .transform(normalizePhone)
  .refine((p) => CANONICAL_PHONE.test(p), 'must be an international number such as +4915112345678');
const nickname = safeText().trim().max(64).nullable();

/** Also parsed alone for the `:username` path parameter; `describe` names the field then. */
export const usernameSchema = safeText().regex(USERNAME_PATTERN, 'must be 3-32 characters of letters, digits, _ . -').describe('username');

export const createUserSchema = z.object({ username: usernameSchema, password, email, phone, nickname: nickname.optional() }).strict();

export const updateUserSchema = z
  .object({ email: email.optional(), phone: phone.optional(), nickname: nickname.optional(), password: password.optional() })
  .strict()
  .refine((u) => Object.keys(u).length > 0, 'at least one of email, phone, nickname, password is required');

export type CreateUserInput = z.infer<typeof createUserSchema>;
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

export interface FieldProblem {
  field: string;
  reason: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Validates and normalises in one pass; problems name the field and the reason. */
export function parseWith<T>(schema: z.ZodType<T>, body: unknown): Parsed<T> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) => ({
      field: i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(',') ?? '(body)' : (schema.description ?? '(body)')),
      reason: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
    })),
  };
}
