import type { CertSummary } from '../../../shared/contract/certs'

export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info'

const STATE_TONE: Record<CertSummary['state'], Tone> = {
  valid: 'ok',
  renewable: 'warn',
  expired: 'bad',
  'not-yet-valid': 'info',
  damaged: 'bad',
}

export function stateTone(state: CertSummary['state']): Tone {
  return STATE_TONE[state]
}

/**
 * The short note under a state badge: how many days are left when renewal is open (NPKI.md §5),
 * nothing for the other states (their badge says enough in the list).
 */
export function stateNote(c: Pick<CertSummary, 'state' | 'daysLeft'>): { key: 'state.daysLeft' | 'state.expiresToday'; n: number } | undefined {
  if (c.state !== 'renewable') return undefined
  return c.daysLeft <= 0 ? { key: 'state.expiresToday', n: 0 } : { key: 'state.daysLeft', n: c.daysLeft }
}

/** The service reports a damaged folder in plain English; these are the reasons it uses. */
const DAMAGED_REASONS: Record<string, 'missingCert' | 'corruptCert' | 'unreadableCert' | 'missingKey'> = {
  'signCert.der is missing': 'missingCert',
  'signCert.der is corrupt': 'corruptCert',
  'signCert.der could not be read': 'unreadableCert',
  'signPri.key is missing': 'missingKey',
}

/** The i18n key of a known damage reason, or undefined so the raw text is shown as it is. */
export function damagedReasonKey(reason: string | undefined): `damaged.${'missingCert' | 'corruptCert' | 'unreadableCert' | 'missingKey'}` | undefined {
  const k = reason ? DAMAGED_REASONS[reason] : undefined
  return k ? `damaged.${k}` : undefined
}

/** The list filter: "hide expired" hides expired certificates only; damaged ones stay visible. */
export function visibleCerts<T extends Pick<CertSummary, 'state'>>(certs: readonly T[], hideExpired: boolean): T[] {
  return hideExpired ? certs.filter((c) => c.state !== 'expired') : [...certs]
}
