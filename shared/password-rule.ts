/**
 * The NPKI rule for new or changed certificate passwords (in force since 2014-09-22, NPKI.md §5).
 * Existing keys with older passwords must still open; this applies only to passwords we set.
 * Platform neutral: used by the renderer for live feedback and by the services as the gate.
 */

export type PasswordRule = 'length' | 'letter' | 'digit' | 'special' | 'forbidden-char' | 'repeat' | 'sequence'

export type PasswordCheck = { ok: true } | { ok: false; rule: PasswordRule; message: string }

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 64
/** Characters the rule forbids outright. */
export const FORBIDDEN_PASSWORD_CHARS = ['\'', '"', '\\', '|'] as const

const fail = (rule: PasswordRule, message: string): PasswordCheck => ({ ok: false, rule, message })

const isLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
/** Lower-cases ASCII letters so that "aBc" counts as a sequence like "abc". */
const fold = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)

/**
 * Checks a new password. Key files are encrypted with the password's raw bytes and bank
 * software reads them as ASCII, so anything outside printable ASCII (spaces, Hangul, control
 * characters) is refused as a forbidden character as well.
 */
export function checkNewPassword(pw: string): PasswordCheck {
  for (const ch of pw) {
    const c = ch.codePointAt(0) as number
    if ((FORBIDDEN_PASSWORD_CHARS as readonly string[]).includes(ch)) return fail('forbidden-char', `the character ${ch} is not allowed`)
    if (c < 0x21 || c > 0x7e) return fail('forbidden-char', 'only printable ASCII letters, digits and symbols are allowed (no spaces or other scripts)')
  }
  if (pw.length < PASSWORD_MIN_LENGTH || pw.length > PASSWORD_MAX_LENGTH) {
    return fail('length', `the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`)
  }
  const codes = Array.from(pw, (ch) => ch.codePointAt(0) as number)
  if (!codes.some(isLetter)) return fail('letter', 'the password must contain at least one letter')
  if (!codes.some(isDigit)) return fail('digit', 'the password must contain at least one digit')
  if (!codes.some((c) => !isLetter(c) && !isDigit(c))) return fail('special', 'the password must contain at least one special character')
  for (let i = 2; i < codes.length; i++) {
    const a = codes[i - 2] as number
    const b = codes[i - 1] as number
    const c = codes[i] as number
    if (a === b && b === c) return fail('repeat', 'the same character may not appear three times in a row')
  }
  for (let i = 2; i < codes.length; i++) {
    const a = fold(codes[i - 2] as number)
    const b = fold(codes[i - 1] as number)
    const c = fold(codes[i] as number)
    // Ascending runs only count within digits or within letters ("abc", "123"), not across symbols.
    const sameClass = (isDigit(a) && isDigit(b) && isDigit(c)) || (isLetter(a) && isLetter(b) && isLetter(c))
    if (sameClass && b === a + 1 && c === b + 1) return fail('sequence', 'three ascending characters in a row (like abc or 123) are not allowed')
  }
  return { ok: true }
}
