/**
 * Contacts are normalised once, here, and stored that way, so every lookup is a plain equality on
 * an indexed column (the original system's LOWER(email) defeated its index: 546 timeouts in 2 s).
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Phone numbers to one canonical form: `+` followed by digits only. Spaces, dashes, dots and
 * brackets are dropped; a leading `00` international prefix becomes `+`. Numbers without a country
 * prefix are refused by validation rather than guessed.
 */
export function normalizePhone(phone: string): string {
  let p = phone.trim().replace(/[\s\-.()/]/g, '');
  if (p.startsWith('00')) p = `+${p.slice(2)}`;
  return p;
}

export const CANONICAL_PHONE = /^\+[1-9]\d{6,14}$/;
