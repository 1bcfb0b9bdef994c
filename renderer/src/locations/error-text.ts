import type { ApiError } from '../api/client'

type T = (key: string, named?: Record<string, unknown>) => string

const IO: Record<string, string> = {
  'disk-full': 'locations.err.diskFull',
  'read-only': 'locations.err.readOnly',
  device: 'locations.err.driveRemoved',
  permission: 'locations.err.permission',
  'verify-failed': 'locations.err.verifyFailed',
}

/** The PFX limits (core/formats/pfx-limits.ts): their sentences (shared/i18n) name the limit main reports. */
const PFX_LIMITS = new Set(['pfx-size-limit', 'pfx-iteration-limit', 'pfx-work-limit'])

const TOKEN: Record<string, string> = {
  'token-removed': 'locations.err.tokenRemoved',
  'pin-expired': 'locations.err.pinExpired',
  'pin-not-set': 'locations.err.pinNotSet',
  module: 'locations.err.tokenModule',
  'token-full': 'locations.err.tokenFull',
  'read-only': 'locations.err.tokenReadOnly',
  'non-extractable': 'locations.err.nonExtractable',
}

/**
 * The one sentence users read for a failed storage, token or PFX call. Main says what went
 * wrong in `params.reason` (disk full, read-only, drive or token removed, PIN state); the
 * general sentence for the code covers everything else.
 */
export function storageErrorText(t: T, err: ApiError): string {
  const reason = typeof err.params?.reason === 'string' ? err.params.reason : undefined
  if (err.code === 'IO' && reason && IO[reason]) return t(IO[reason])
  if (err.code === 'TOKEN' && reason) {
    if (reason === 'pin-locked') return t(err.params?.source === 'app' ? 'locations.err.pinLockedApp' : 'locations.err.pinLocked')
    if (reason === 'pin-incorrect') {
      const n = err.params?.attemptsLeft
      return typeof n === 'number' ? t('locations.err.pinIncorrectLeft', { n }) : t('locations.err.pinIncorrect')
    }
    if (TOKEN[reason]) return t(TOKEN[reason])
  }
  if (err.code === 'CONFLICT' && reason === 'different-certificate') return t('locations.err.differentCert')
  if (err.code === 'UNSUPPORTED' && reason && PFX_LIMITS.has(reason)) {
    const limit = err.params?.limit
    return t(`errorReasons.UNSUPPORTED.${reason}`, { limit: typeof limit === 'number' ? limit.toLocaleString('en-US') : '' })
  }
  // Some sentences name a detail from main (TOO_MANY_ATTEMPTS: how long to wait).
  return t(`errors.${err.code}`, err.params ?? {})
}

/** Whether the error is "a different certificate is in the way", which the UI answers with an overwrite choice. */
export function isDifferentCert(err: ApiError | null): boolean {
  const r = err?.params?.reason
  return !!err && err.code === 'CONFLICT' && (r === 'different-certificate' || r === 'key-differs' || r === 'exists')
}
