/** Certificate states users see at a glance (NPKI.md §5: renewal opens 30 days before expiry). */
export type CertState = 'valid' | 'renewable' | 'expired' | 'not-yet-valid' | 'damaged'

export const RENEWAL_WINDOW_DAYS = 30
const DAY_MS = 86_400_000

/** Whole days left until notAfter, rounded down; negative once expired. */
export function daysLeft(notAfter: Date, now: Date = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS)
}

export function certState(notBefore: Date, notAfter: Date, now: Date = new Date(), windowDays = RENEWAL_WINDOW_DAYS): Exclude<CertState, 'damaged'> {
  if (now.getTime() < notBefore.getTime()) return 'not-yet-valid'
  if (now.getTime() > notAfter.getTime()) return 'expired'
  return notAfter.getTime() - now.getTime() <= windowDays * DAY_MS ? 'renewable' : 'valid'
}

/** The day renewal opens for a certificate (for "갱신은 M월 D일부터" messages). */
export function renewalOpensAt(notAfter: Date, windowDays = RENEWAL_WINDOW_DAYS): Date {
  return new Date(notAfter.getTime() - windowDays * DAY_MS)
}
