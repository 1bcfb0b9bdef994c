import type { ReasonOf } from './reasons'

/**
 * Typed errors shared by every host. Services throw `CertError`; the IPC wrapper, the browser
 * host and the CLI turn it into a one-line message (English in the CLI, Korean in the UI via
 * the renderer's i18n table keyed by `code`). Never put secrets into `message` or `params`.
 */
export const ERROR_CODES = [
  'BAD_REQUEST', // malformed payload or arguments
  'FORBIDDEN', // sender, origin or secret rejected
  'NOT_FOUND', // certificate, file or session does not exist
  'DAMAGED', // a file exists but cannot be parsed
  'WRONG_PASSWORD', // certificate or PFX password does not open the key
  'TOO_MANY_ATTEMPTS', // too many wrong passwords for one certificate in a row (params.retryAfterSeconds)
  'PASSWORD_RULE', // a new password breaks the NPKI rule (params.rule names which)
  'KEY_MISMATCH', // the private key does not belong to the certificate
  'UNSUPPORTED', // a valid but unsupported algorithm or scheme
  'CONFLICT', // destination holds a different certificate, or state forbids the action
  'IO', // disk full, read-only, drive removed, permission
  'TOKEN', // PKCS#11 token errors (PIN locked, token removed, ...)
  'CENTER', // certification center refused or failed (params.reason)
  'NETWORK', // cannot reach a server
  'TRANSFER', // phone copy session errors (expired, locked, ...)
  'CANCELLED',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** Detail for the UI's translation; `reason` only from the list for the code (shared/reasons.ts). */
export type ErrorParams<C extends ErrorCode = ErrorCode> = { reason?: ReasonOf<C> } & Record<string, string | number | boolean>

export interface ErrorInfo {
  code: ErrorCode
  /** Plain English, one line, for logs and the CLI. No secrets. */
  message: string
  /** Machine-readable detail for the UI's translation (e.g. { rule: 'length' }). */
  params?: Record<string, string | number | boolean>
}

export class CertError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C
  readonly params?: ErrorParams<C>

  constructor(code: C, message: string, params?: ErrorParams<C>) {
    super(message)
    this.name = 'CertError'
    this.code = code
    this.params = params
  }

  toInfo(): ErrorInfo {
    return this.params ? { code: this.code, message: this.message, params: this.params } : { code: this.code, message: this.message }
  }
}

/** Maps anything thrown to an ErrorInfo without leaking stack traces or internals. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CertError) return err.toInfo()
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    if (code === 'ENOENT') return { code: 'NOT_FOUND', message: 'file or folder not found' }
    if (code === 'ENOSPC') return { code: 'IO', message: 'the disk is full', params: { reason: 'disk-full' } }
    if (code === 'EROFS') return { code: 'IO', message: 'the medium is read-only', params: { reason: 'read-only' } }
    if (code === 'EACCES' || code === 'EPERM') return { code: 'IO', message: 'permission denied', params: { reason: 'permission' } }
    if (code === 'EIO' || code === 'ENODEV' || code === 'ENXIO' || code === 'ENOTDIR') return { code: 'IO', message: 'the drive could not be read or written (was it removed?)', params: { reason: 'device' } }
  }
  return { code: 'INTERNAL', message: 'unexpected internal error' }
}
