import type { z } from 'zod';

export interface FieldProblem {
  field: string;
  reason: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/**
 * Validates (and normalises) in one pass; each problem names its field and the reason. A value
 * parsed alone (a path parameter) is named by its schema's `describe`, else by `fallbackField`;
 * an unknown field of a strict object is named itself, with the reason "unknown field".
 */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, fallbackField = '(body)'): Parsed<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) => ({
      field: i.path.join('.') || (i.code === 'unrecognized_keys' ? ((i as { keys?: string[] }).keys?.join(',') ?? fallbackField) : (schema.description ?? fallbackField)),
      reason: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
    })),
  };
}
