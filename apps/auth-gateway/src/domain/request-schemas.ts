import { parseWith, type FieldProblem } from '@usersys/api-contract';
import { AppError, type ErrorSpec } from '@usersys/service-kit';
import type { z } from 'zod';
import { ERRORS } from '../errors';

// The bodies and parameters the gateway checks at the edge come from @usersys/api-contract (the
// schemas the OpenAPI document is generated from; user-command checks forwarded bodies again with
// the same ones). Every text field is safeText: NUL, the other control characters and unpaired
// surrogates are refused with 400 naming the field before any lookup, limiter or audit write sees
// them (a NUL username used to reach PostgreSQL and answer 503).
export { loginBody, refreshBody, pathUsername, createUserSchema, gatewayUpdateUserSchema } from '@usersys/api-contract';
export type { FieldProblem };

/** The problems of an input, each naming its field (`fallbackField` for a value parsed alone). */
export function problemsOf<T>(schema: z.ZodType<T>, input: unknown, fallbackField = '(body)') {
  return parseWith(schema, input, fallbackField);
}

/** A 400 whose message names the first field and whose details list every problem (100003 unless `spec` says otherwise). */
export function badRequest(problems: FieldProblem[], spec: ErrorSpec = ERRORS.BAD_REQUEST): AppError {
  const [first] = problems;
  return new AppError(spec, `${first.field}: ${first.reason}`, { details: { problems } });
}

/** The parsed input, or throws badRequest. */
export function parseRequest<T>(schema: z.ZodType<T>, input: unknown, fallbackField?: string, spec?: ErrorSpec): T {
  const parsed = problemsOf(schema, input, fallbackField);
  if (parsed.ok) return parsed.value;
  throw badRequest(parsed.problems, spec);
}
