import { ERROR_CODES, type ErrorCode, type ErrorInfo } from '../../../shared/errors'
import { ApiError } from '../api/client'

/**
 * Anything a call can throw, as an ApiError: a failed fetch (host gone) is a network error,
 * anything else unexpected is internal. Its message is never shown; the UI translates the code.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)) {
    // Keep the details some sentences need (TOO_MANY_ATTEMPTS: how long to wait).
    const params = plainParams((err as { params?: unknown }).params)
    return new ApiError({ code: code as ErrorCode, message: String((err as Error).message ?? code), ...(params ? { params } : {}) })
  }
  if (err instanceof TypeError) return new ApiError({ code: 'NETWORK', message: 'the app host could not be reached' })
  return new ApiError({ code: 'INTERNAL', message: 'unexpected error' })
}

function plainParams(v: unknown): ErrorInfo['params'] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined
  const out: NonNullable<ErrorInfo['params']> = {}
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x
  return out
}

type Translate = (key: string, params?: Record<string, unknown>) => string
type Exists = (key: string) => boolean

/**
 * The message key of the sentence for this refusal's params.reason (errorReasons.<code>.<reason>,
 * typed over shared/reasons.ts), if one is written. In a wizard, its own wording comes first
 * where it has one (a drive removed mid-save says nothing was saved; on renewal, that the old
 * certificate stays: wizard.errors.<reason>Renew).
 */
export function reasonKey(err: Pick<ErrorInfo, 'code' | 'params'>, te: Exists, wizard?: { flow?: string }): string | undefined {
  const reason = err.params?.reason
  if (typeof reason !== 'string' || !reason) return undefined
  if (wizard) {
    if (wizard.flow === 'renew' && te(`wizard.errors.${reason}Renew`)) return `wizard.errors.${reason}Renew`
    if (WIZARD_WORDED.has(reason) && te(`wizard.errors.${reason}`)) return `wizard.errors.${reason}`
  }
  return te(`errorReasons.${err.code}.${reason}`) ? `errorReasons.${err.code}.${reason}` : undefined
}

/** Reasons a wizard words for itself (wizard.errors), the general sentence everywhere else. */
const WIZARD_WORDED = new Set(['device'])

/**
 * The sentence for an error: the one for its reason when main gave a known one (an extra folder
 * that is not NPKI, a center address that is not https), else the general one for its code.
 */
export function errorText(err: Pick<ErrorInfo, 'code' | 'params'>, t: Translate, te: Exists): string {
  const key = reasonKey(err, te)
  return key ? t(key) : t(`errors.${err.code}`, err.params ?? {})
}
