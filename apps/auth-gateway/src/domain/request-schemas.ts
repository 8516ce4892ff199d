import { safeText } from '@usersys/event-schema';
import { AppError } from '@usersys/service-kit';
import { z } from 'zod';
import { ERRORS } from '../errors';

// What the gateway reads itself; bodies it forwards (sign-up, update) are validated by
// user-command. Every text field is safeText: NUL, the other control characters and unpaired
// surrogates are refused with 400 naming the field before any lookup, limiter or audit write
// sees them (a NUL username used to reach PostgreSQL and answer 503). Passwords too, as in
// user-command, which never accepts one that holds them.

/**
 * POST /v1/auth/login. Any username may be tried (an unknown one gets the same 401 as a wrong
 * password), so only its length is checked; a password is at most the 72 bytes bcrypt reads.
 */
export const loginBody = z.object({
  username: safeText().min(1).max(64),
  password: safeText()
    .min(1)
    .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'must be at most 72 bytes'),
});

/** POST /v1/auth/refresh. */
export const refreshBody = z.object({ refreshToken: safeText().min(1).max(4096) });

/** A `:username` path parameter; user-command checks the username pattern itself. */
export const pathUsername = safeText().min(1).max(64);

export interface FieldProblem {
  field: string;
  reason: string;
}

/** The problems of an input, each naming its field (`fallbackField` for a value parsed alone). */
export function problemsOf<T>(schema: z.ZodType<T>, input: unknown, fallbackField = '(body)'): { ok: true; value: T } | { ok: false; problems: FieldProblem[] } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.map((i) => ({ field: i.path.join('.') || fallbackField, reason: i.message })) };
}

/** A 400 (100003) whose message names the first field and whose details list every problem. */
export function badRequest(problems: FieldProblem[]): AppError {
  const [first] = problems;
  return new AppError(ERRORS.BAD_REQUEST, `${first.field}: ${first.reason}`, { details: { problems } });
}

/** The parsed input, or throws badRequest. */
export function parseRequest<T>(schema: z.ZodType<T>, input: unknown, fallbackField?: string): T {
  const parsed = problemsOf(schema, input, fallbackField);
  if (parsed.ok) return parsed.value;
  throw badRequest(parsed.problems);
}
