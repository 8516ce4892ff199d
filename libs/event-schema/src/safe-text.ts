import { z } from 'zod';

/**
 * Characters no text field may hold: every control character (Unicode category Cc: C0
 * U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F; tab and newline included) and every unpaired
 * UTF-16 surrogate (Cs: with the `u` flag a valid pair is one astral code point and does not
 * match). PostgreSQL refuses NUL (22021) and lone surrogates (22P05) in text and jsonb, so such a
 * value accepted at the edge used to stall a consumer partition; refusing them everywhere is simpler
 * than deciding, field by field, which ones are harmless.
 */
const UNSAFE = /[\p{Cc}\p{Cs}]/u;
const UNSAFE_ALL = /[\p{Cc}\p{Cs}]/gu;

export const SAFE_TEXT_MESSAGE = 'must not contain control characters (U+0000–U+001F, U+007F–U+009F) or unpaired surrogates';

/** Index (UTF-16 code units) of the first control character or unpaired surrogate, or -1. */
export function unsafeCharacterIndex(text: string): number {
  return text.search(UNSAFE);
}

/** The refusal for a text, naming the first offending character, or null when the text is safe. */
export function unsafeTextProblem(text: string): string | null {
  const at = unsafeCharacterIndex(text);
  if (at < 0) return null;
  const unit = text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0');
  return `${SAFE_TEXT_MESSAGE}; found U+${unit} at index ${at}`;
}

/**
 * A zod string that refuses control characters and unpaired surrogates; chain further checks and
 * transforms after it (`safeText().max(64).transform(...)`), so the raw input is what gets checked.
 */
export function safeText(): z.ZodString {
  return z.string().refine((text) => unsafeCharacterIndex(text) < 0, { error: (issue) => unsafeTextProblem(String(issue.input)) ?? SAFE_TEXT_MESSAGE });
}

/**
 * Replaces each control character and unpaired surrogate with U+FFFD, for text that must be kept
 * rather than refused (the login audit records what a refused client sent, and a User-Agent
 * header may legally carry a tab or obs-text bytes that decode to C1 controls). With `maxLength`
 * the text is cut first; a surrogate pair split by the cut becomes U+FFFD, never a lone half.
 */
export function toSafeText(text: string, maxLength = Infinity): string {
  return (text.length > maxLength ? text.slice(0, maxLength) : text).replace(UNSAFE_ALL, '\uFFFD');
}
