import type { ApiError } from '../api/client'

type T = (key: string, params?: Record<string, unknown>) => string
type Te = (key: string) => boolean

/**
 * Reasons whose advice differs on renewal: it replaces the certificate where it is, so there is
 * no other location to choose, and the old certificate stays when the new one cannot be stored.
 */
const RENEW_REASONS = new Set(['device', 'identity'])

/** The message key for a reason, the renewal wording first when that wizard failed. */
export function reasonKey(reason: string, flow: string | undefined, te: Te): string | undefined {
  if (!reason) return undefined
  if (flow === 'renew' && RENEW_REASONS.has(reason) && te(`wizard.errors.${reason}Renew`)) return `wizard.errors.${reason}Renew`
  return te(`wizard.errors.${reason}`) ? `wizard.errors.${reason}` : undefined
}

/**
 * One plain sentence (or two) for a failed wizard call: the center's reason when it gave one
 * (params.reason), then how many tries are left; otherwise the general sentence for the code.
 * `flow` is the wizard that failed (issue, reissue, renew, register), when there is one.
 */
export function wizardErrorText(err: ApiError, t: T, te: Te, flow?: string): string {
  const p = err.params ?? {}
  const reason = typeof p.reason === 'string' ? p.reason : ''
  const key = reasonKey(reason, flow, te)
  let text: string
  if (err.code === 'CANCELLED') text = t('wizard.errors.cancelledOp')
  else if (key) text = t(key, { fee: Number(p.requiredKrw ?? 4400).toLocaleString('ko-KR') })
  else if (err.code === 'IO') text = t('wizard.errors.saveFailed')
  else if (err.code === 'WRONG_PASSWORD') text = t('wizard.certPassword.wrong')
  else {
    text = t(`errors.${err.code}`, p)
    const rule = err.code === 'PASSWORD_RULE' ? p.rule : undefined
    if (typeof rule === 'string' && te(`passwordRule.${rule}`)) text += ` ${t(`passwordRule.${rule}`)}`
  }
  // The RA counts identity tries (remaining), a token its PIN tries (attemptsLeft).
  const left = typeof p.remaining === 'number' ? p.remaining : p.attemptsLeft
  if (typeof left === 'number' && left > 0) text += ` ${t('wizard.errors.remaining', { n: left })}`
  return text
}
