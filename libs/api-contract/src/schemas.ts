import { safeText, USERNAME_PATTERN } from '@usersys/event-schema';
import { z } from 'zod';
import { CANONICAL_PHONE, normalizeEmail, normalizePhone } from './normalize';

// The public API's request and response bodies, one definition for the gateway (which validates
// at the edge), user-command (which checks again) and the OpenAPI document (generated from these
// with zod's own JSON Schema output, so it cannot drift from the code).
//
// Every text field starts with safeText, so NUL, the other control characters (tab and newline
// too) and unpaired surrogates are refused with 400 naming the field, before any trim or
// normalisation could hide them. Passwords included: the contract refuses them in every text
// field, no keyboard types them, and bcrypt implementations written in C stop at a NUL, so a
// hash made from such a password would not verify the same everywhere.

/** What safeText refuses, as a JSON Schema pattern (the refine itself has no JSON Schema form). */
const SAFE_TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
const text = () => safeText().meta({ pattern: SAFE_TEXT_PATTERN });

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

// bcrypt silently ignores bytes past 72: longer passwords are refused, not truncated.
const newPassword = text()
  .refine((p) => utf8Bytes(p) >= 8, 'must be at least 8 bytes')
  .refine((p) => utf8Bytes(p) <= 72, 'must be at most 72 bytes')
  .meta({ description: 'At least 8 and at most 72 bytes (UTF-8): bcrypt reads no more.', minLength: 8, maxLength: 72, pattern: SAFE_TEXT_PATTERN });
/**
 * zod's default email rule, with the domain's labels as RFC 1035 has them: 1-63 characters, no
 * hyphen first or last (zod's own accepts `a@b-.example.com`, which no mail server does; found by
 * schemathesis, whose `email` format refuses it, as it does a local part over 64 characters).
 */
const EMAIL_PATTERN = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const email = text()
  .max(254)
  .transform(normalizeEmail)
  .pipe(z.email({ pattern: EMAIL_PATTERN, message: 'is not a valid email address' }).refine((e) => e.indexOf('@') <= 64, 'is not a valid email address (more than 64 characters before @)'))
  .meta({ description: 'Trimmed and lower-cased before it is stored; at most 64 characters before the @ (RFC 5321).', format: 'email', pattern: EMAIL_PATTERN.source, examples: ['alice@example.com'] });
const phone = text()
  .max(32)
  .transform(normalizePhone)
  .refine((p) => CANONICAL_PHONE.test(p), 'must be an international number such as +4915112345678')
  .meta({ description: 'International number; spaces, dashes, dots and brackets are dropped, a leading 00 becomes +.', pattern: '^\\+[1-9][0-9]{6,14}$', examples: ['+4915112345678'] });
const nickname = text().trim().max(64).nullable();

/** A username as created: also parsed alone for the `:username` path parameter (`describe` names the field then). */
export const usernameSchema = safeText()
  .regex(USERNAME_PATTERN, 'must be 3-32 characters of letters, digits, _ . -')
  .meta({ pattern: USERNAME_PATTERN.source, examples: ['alice'] })
  .describe('username');

/** POST /v1/users (and user-command's POST /internal/users). */
export const createUserSchema = z
  .object({ username: usernameSchema, password: newPassword, email, phone, nickname: nickname.optional() })
  .strict()
  .meta({ id: 'CreateUserRequest' });

/** user-command's PATCH /internal/users/:username: what may change (never `currentPassword`: the gateway removes it). */
export const updateUserSchema = z
  .object({ email: email.optional(), phone: phone.optional(), nickname: nickname.optional(), password: newPassword.optional() })
  .strict()
  .refine((u) => Object.keys(u).length > 0, 'at least one of email, phone, nickname, password is required');

/**
 * PATCH /v1/users/:username at the gateway: the update plus `currentPassword`, which a user (not an
 * admin) sends to change `password` or `email`; the gateway checks it and never forwards it.
 */
export const gatewayUpdateUserSchema = z
  .object({
    email: email.optional(),
    phone: phone.optional(),
    nickname: nickname.optional(),
    password: newPassword.optional(),
    currentPassword: text().max(4096).optional().meta({ description: 'The account password; required of a user (not an admin) who changes password or email.' }),
  })
  .strict()
  .refine((u) => Object.keys(u).some((k) => k !== 'currentPassword'), 'at least one of email, phone, nickname, password is required')
  .meta({ id: 'UpdateUserRequest', minProperties: 1 });

export type CreateUserInput = z.infer<typeof createUserSchema>;
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

/**
 * POST /v1/auth/login. Any username may be tried (an unknown one gets the same 401 as a wrong
 * password), so only its length is checked; a password is at most the 72 bytes bcrypt reads.
 */
export const loginBody = z
  .object({
    username: text().min(1).max(64),
    password: text()
      .min(1)
      .refine((p) => utf8Bytes(p) <= 72, 'must be at most 72 bytes')
      .meta({ maxLength: 72, pattern: SAFE_TEXT_PATTERN }),
  })
  .meta({ id: 'LoginRequest' });

/** POST /v1/auth/refresh and /v1/auth/logout. */
export const refreshBody = z.object({ refreshToken: text().min(1).max(4096) }).meta({ id: 'RefreshRequest' });

/** A `:username` path parameter at the gateway; user-command checks the username pattern itself. */
export const pathUsername = text().min(1).max(64);

/** Request ids are event ids: random UUIDs. */
export const requestIdSchema = z.uuid().describe('requestId');

/** PUT /admin/ratelimit/login. */
export const loginLimitUpdate = z
  .object({
    value: z.int().min(1).max(Number.MAX_SAFE_INTEGER).meta({ description: 'Logins per window per client network.' }),
    window: text().optional().meta({ description: 'A duration in whole seconds, at least 1s, such as 30s or 2m0s.', examples: ['2m0s'] }),
    effective: z.boolean().optional(),
  })
  .meta({ id: 'LoginLimitUpdate' });

// ---- responses ----

export const tokenPair = z
  .object({ accessToken: z.string(), refreshToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.int().meta({ description: 'Seconds the access token is valid.' }) })
  .meta({ id: 'TokenPair' });

/** Every 202 of a write: the request id (= event id) to follow at GET /v1/requests/{requestId}. */
export const acceptedWrite = z.object({ requestId: z.uuid(), username: z.string(), state: z.literal('pending') }).meta({ id: 'AcceptedWrite' });

export const REQUEST_TYPES = ['create', 'update', 'delete', 'force_delete', 'disable', 'enable'] as const;

export const requestOutcome = z
  .object({
    requestId: z.uuid(),
    type: z.enum(REQUEST_TYPES).optional().meta({ description: 'Absent only when no source can tell.' }),
    username: z.string(),
    state: z.enum(['pending', 'applied', 'rejected', 'dead_lettered']),
    reason: z.string().optional(),
  })
  .meta({ id: 'RequestOutcome' });

export const userView = z
  .object({
    username: z.string(),
    email: z.string(),
    phone: z.string(),
    nickname: z.string().nullable(),
    role: z.enum(['user', 'admin']),
    state: z.enum(['active', 'disabled', 'deleted']),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    lastLoginAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'User' });

export const userState = z
  .object({ state: z.enum(['pending', 'active', 'deleted', 'rejected']), reason: z.string().optional() })
  .meta({ id: 'UserState', description: 'What became of the latest request for the name.' });

export const loginLimitView = z
  .object({ code: z.literal(100001), message: z.literal('ok'), data: z.object({ effective: z.boolean(), value: z.int(), window: z.string() }) })
  .meta({ id: 'LoginLimit' });

export const lockoutStatus = z
  .object({ locked: z.boolean(), until: z.iso.datetime().optional().meta({ description: 'End of the longest lock in force.' }), failures: z.int() })
  .meta({ id: 'LockoutStatus' });

export const fieldProblem = z.object({ field: z.string(), reason: z.string() }).meta({ id: 'FieldProblem' });

/** Every error of every service: `{code, message}`, sometimes `details`. */
export const errorBody = z
  .object({
    code: z.int().meta({ description: 'Stable error code (see ERRORS.md of auth-gateway and user-command).' }),
    message: z.string(),
    details: z
      .looseObject({
        problems: z.array(fieldProblem).optional().meta({ description: 'Validation: every field refused and why.' }),
        field: z.string().optional().meta({ description: 'Conflicts: the field already taken.' }),
        requestId: z.uuid().optional().meta({ description: 'Outcome unknown: the request to follow before retrying.' }),
      })
      .optional(),
  })
  .meta({ id: 'Error' });
