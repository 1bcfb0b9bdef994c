import type { ErrorCode } from './errors'

/**
 * Every failure reason (`params.reason`) there is, per error code. CertError only takes a
 * reason listed under its code, and the sentence maps (shared/i18n/reasons-*.ts) are typed
 * over this table, so a new reason without a Korean and an English sentence does not compile.
 */
export const REASONS = {
  BAD_REQUEST: [
    'body', // a request body that breaks its schema (RA JSON API)
    'center-url',
    'content-type',
    'json',
    'method',
    'not-npki',
    'pbm-iterations',
    'pfx-extension',
    'token-cert-ambiguous',
    'too-large',
    'ca-expired',
    'ca-key-usage',
    'fingerprint',
    'not-ca',
  ],
  FORBIDDEN: [
    'identity',
    'identity-locked',
    'link', // a folder on the way to a certificate is a symbolic link: not followed, never written through
    'medium',
    'medium-locked',
    'not-embedded',
    'not-owner',
    'outside-root',
    'phone-code',
    'phone-code-expired',
    'phone-send-limit',
    'session-locked',
    'signature',
    'slow-down',
    'vid',
    'foreign-issuer-expired',
    'foreign-issuer-key-usage',
    'foreign-key-usage',
    'foreign-not-end-entity',
    'untrusted-issuer',
  ],
  NOT_FOUND: ['account', 'cert', 'customer', 'endpoint', 'medium', 'not-cert-folder', 'not-embedded', 'session', 'token-cert', 'fingerprint'],
  DAMAGED: ['malformed-der', 'not-regular-file'],
  WRONG_PASSWORD: ['key-mismatch'],
  UNSUPPORTED: [
    'no-randomnum',
    'no-vid',
    // A PFX over a limit of core/formats/pfx-limits.ts (params.limit): refused before the work.
    'pfx-iteration-limit',
    'pfx-size-limit',
    'pfx-work-limit',
  ],
  CONFLICT: [
    'account-exists',
    'active',
    'already-issued',
    'already-registered',
    'balance',
    'batch-duplicate',
    'challenge',
    'customer-exists',
    'different-certificate',
    'exists',
    'expired',
    'file-exists',
    'key-differs',
    'key-mismatch',
    'medium-kind',
    'medium-no-challenge',
    'medium-not-verified',
    'phone-code-not-sent',
    'phone-not-verified',
    'pending',
    'phone-verified',
    'purpose',
    'renewal-window',
    'revoked',
    'serial',
  ],
  IO: ['device', 'disk-full', 'other', 'permission', 'read-only', 'verify-failed'],
  TOKEN: [
    'device',
    'failed',
    'module',
    'non-extractable',
    'pin-expired',
    'pin-incorrect',
    'pin-locked',
    'pin-not-set',
    'read-only',
    'token-full',
    'token-removed',
    'unrecognized',
  ],
  CENTER: [
    'balance',
    'body', // an answer that breaks its schema (RA JSON API)
    'cert',
    'certReqId',
    'challenge',
    'http',
    'key-mismatch',
    'malformed',
    'no-cert',
    'nonce',
    'protection',
    'protocol',
    'size',
    'transactionID',
    'waiting',
  ],
  NETWORK: ['no-center', 'renewal-unsettled', 'unreachable'],
} as const satisfies { readonly [C in ErrorCode]?: readonly string[] }

export type CodeWithReasons = keyof typeof REASONS

/** The reasons an error of code C may carry (never for a code without reasons). */
export type ReasonOf<C extends ErrorCode> = C extends CodeWithReasons ? (typeof REASONS)[C][number] : never

/** Any reason of any code. */
export type Reason = ReasonOf<ErrorCode>

/** Whether `reason` is one listed for `code` (for reasons that arrive over the wire). */
export function isReasonOf<C extends ErrorCode>(code: C, reason: unknown): reason is ReasonOf<C> {
  const list = (REASONS as Partial<Record<ErrorCode, readonly string[]>>)[code]
  return typeof reason === 'string' && !!list && list.includes(reason)
}
