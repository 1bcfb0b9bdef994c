import type { ApiError } from '../api/client'
import { reasonKey } from '../lib/errors'

type T = (key: string, params?: Record<string, unknown>) => string
type Te = (key: string) => boolean

/**
 * One plain sentence (or two) for a failed wizard call: the center's reason when it gave one
 * (params.reason), then how many tries are left; otherwise the general sentence for the code.
 * `flow` is the wizard that failed (issue, reissue, renew, register), when there is one.
 */
export function wizardErrorText(err: ApiError, t: T, te: Te, flow?: string): string {
  const p = err.params ?? {}
  const key = reasonKey(err, te, { flow })
  let text: string
  if (err.code === 'CANCELLED') text = t('wizard.errors.cancelledOp')
  else if (key) text = t(key, { ...p, requiredKrw: Number(p.requiredKrw ?? 4400).toLocaleString('ko-KR') })
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
