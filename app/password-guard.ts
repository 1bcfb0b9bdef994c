import { CertError, type ErrorInfo } from '../shared/errors'

/**
 * Online guessing of certificate passwords. A compromised renderer, or a script talking to the
 * browser host, could otherwise try passwords as fast as PBKDF allows through any call that
 * takes one. This counts consecutive wrong passwords per certificate and, past a threshold,
 * refuses further password calls for that certificate for a backoff that doubles each time.
 *
 * The counts live in memory, for the main process's lifetime, on purpose: restarting the app
 * takes seconds and is something the user sees, so it is no cheap way around the limit; a
 * persisted count would let a hostile renderer lock the user out of their own certificate for
 * good. The guard never sees a password: it is told only which certificate a call is for and
 * how the call ended.
 */

export const DEFAULT_ATTEMPT_LIMIT = 5
export const DEFAULT_FIRST_DELAY_MS = 30_000
export const DEFAULT_MAX_DELAY_MS = 15 * 60_000
/** A wrong password this long ago no longer counts (a lock's doubling starts over too). */
export const DEFAULT_FORGET_AFTER_MS = 24 * 60 * 60_000

export interface PasswordGuardOptions {
  /** Consecutive wrong passwords before calls are refused (default 5). */
  limit?: number
  /** The first refusal's length; each further wrong password past the limit doubles it. */
  firstDelayMs?: number
  maxDelayMs?: number
  forgetAfterMs?: number
  /** Milliseconds since the epoch; tests pass their own clock. */
  now?: () => number
}

/** How a password call ended, as far as the count is concerned. */
export type AttemptOutcome = 'wrong' | 'right' | 'other'

export interface Attempt {
  /** Reports the outcome once; later calls are ignored. */
  settle(outcome: AttemptOutcome): void
}

interface Bucket {
  failures: number
  lastFailureAt: number
  lockedUntil: number
  inFlight: number
  waiters: (() => void)[]
}

export class PasswordGuard {
  readonly limit: number
  private readonly firstDelayMs: number
  private readonly maxDelayMs: number
  private readonly forgetAfterMs: number
  private readonly now: () => number
  private readonly buckets = new Map<string, Bucket>()

  constructor(opts: PasswordGuardOptions = {}) {
    this.limit = Math.max(1, opts.limit ?? DEFAULT_ATTEMPT_LIMIT)
    this.firstDelayMs = opts.firstDelayMs ?? DEFAULT_FIRST_DELAY_MS
    this.maxDelayMs = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS
    this.forgetAfterMs = opts.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS
    this.now = opts.now ?? Date.now
  }

  /**
   * Admits one password attempt for `key`, or throws CertError TOO_MANY_ATTEMPTS (params
   * `retryAfterSeconds`) while the key is locked. Attempts run in parallel only while enough of
   * them could still fail without crossing the limit; the rest wait for one to settle, so a
   * burst of parallel guesses cannot slip past the count.
   */
  async admit(key: string): Promise<Attempt> {
    for (;;) {
      const b = this.bucket(key)
      const wait = b.lockedUntil - this.now()
      if (wait > 0) {
        const retryAfterSeconds = Math.ceil(wait / 1000)
        throw new CertError('TOO_MANY_ATTEMPTS', `too many wrong passwords; try again in ${retryAfterSeconds} s`, { retryAfterSeconds })
      }
      // Past the limit (a lock just ran out) exactly one try at a time: each wrong one locks again.
      const room = b.failures >= this.limit ? 1 : this.limit - b.failures
      if (b.inFlight < room) {
        b.inFlight++
        return this.attempt(key, b)
      }
      await new Promise<void>((resolve) => b.waiters.push(resolve))
    }
  }

  /** Seconds until `key` may be tried again (0 when it may be tried now). */
  retryAfterSeconds(key: string): number {
    const b = this.buckets.get(key)
    return b ? Math.max(0, Math.ceil((b.lockedUntil - this.now()) / 1000)) : 0
  }

  /** Consecutive wrong passwords counted for `key`. */
  failures(key: string): number {
    const b = this.buckets.get(key)
    if (!b) return 0
    return this.now() - b.lastFailureAt > this.forgetAfterMs ? 0 : b.failures
  }

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key)
    if (!b) {
      b = { failures: 0, lastFailureAt: 0, lockedUntil: 0, inFlight: 0, waiters: [] }
      this.buckets.set(key, b)
    }
    if (b.failures > 0 && this.now() - b.lastFailureAt > this.forgetAfterMs && b.lockedUntil <= this.now()) {
      b.failures = 0
      b.lockedUntil = 0
    }
    return b
  }

  private attempt(key: string, b: Bucket): Attempt {
    let done = false
    return {
      settle: (outcome) => {
        if (done) return
        done = true
        b.inFlight--
        if (outcome === 'right') {
          b.failures = 0
          b.lockedUntil = 0
        } else if (outcome === 'wrong') {
          const now = this.now()
          b.failures++
          b.lastFailureAt = now
          if (b.failures >= this.limit) {
            const delay = Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** Math.min(b.failures - this.limit, 30))
            b.lockedUntil = Math.max(b.lockedUntil, now + delay)
          }
        }
        const waiters = b.waiters.splice(0)
        for (const wake of waiters) wake()
        this.tidy(key, b)
      },
    }
  }

  /** Forgets a key with nothing to remember, so ids the caller makes up do not pile up. */
  private tidy(key: string, b: Bucket): void {
    if (b.failures === 0 && b.inFlight === 0 && b.waiters.length === 0 && this.buckets.get(key) === b) this.buckets.delete(key)
  }
}

type Req = Record<string, unknown>
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const byCert = (r: Req): string | undefined => {
  const id = str(r.certId)
  return id === undefined ? undefined : `cert:${id}`
}

/**
 * Which count a password call belongs to, by call name. The key is the certificate's id where
 * the request names one. Ids follow the real folder (device, inode and resolved path; see
 * core/certs/identity.ts), not the path string, so neither renaming a certificate nor reaching
 * its folder through a second path (an extra root that links to an OS root) gets fresh tries. A PFX file or what a phone sent has no id: those share one count per call,
 * since a path or a session id is something the caller could vary at will.
 * Every call that hands a key to someone (PFX export, phone copy in either format, copy or move
 * to another place) carries the certificate password and is counted here.
 */
export const PASSWORD_CALLS: Readonly<Record<string, (req: Req) => string | undefined>> = {
  'keys.checkPassword': byCert,
  'keys.changePassword': byCert,
  'keys.verifyIdentity': byCert,
  'pfx.export': byCert,
  'storage.copy': byCert,
  'storage.move': byCert,
  'token.import': byCert,
  'enroll.renew': byCert,
  'enroll.registerForeign': byCert,
  'transfer.startSend': byCert,
  'pfx.import': () => 'call:pfx.import',
  'transfer.saveReceived': () => 'call:transfer.saveReceived',
}

/**
 * Calls whose requests carry a password field that is never checked against an existing key:
 * it only sets a new one. Listed so a test can insist every password-bearing call is one or the
 * other.
 */
export const NEW_PASSWORD_ONLY_CALLS: readonly string[] = ['enroll.issue']

/** The count a call belongs to, or undefined when the call is not a password attempt. */
export function passwordAttemptKey(name: string, req: unknown): string | undefined {
  const pick = Object.prototype.hasOwnProperty.call(PASSWORD_CALLS, name) ? PASSWORD_CALLS[name] : undefined
  if (!pick || !req || typeof req !== 'object') return undefined
  return pick(req as Req)
}

/** Reads a finished call: a wrong password is WRONG_PASSWORD, or keys.checkPassword saying not valid. */
export function attemptOutcome(name: string, result: { ok: true; value: unknown } | { ok: false; error: ErrorInfo }): AttemptOutcome {
  if (!result.ok) return result.error.code === 'WRONG_PASSWORD' ? 'wrong' : 'other'
  if (name === 'keys.checkPassword') return (result.value as { valid?: unknown } | null)?.valid === true ? 'right' : 'wrong'
  return 'right'
}

/**
 * The dispatcher's hook: before a password call's handler runs, admit it (or refuse it with
 * TOO_MANY_ATTEMPTS); once it ends, count the outcome.
 */
export function passwordCallGuard(guard: PasswordGuard = new PasswordGuard()) {
  return {
    guard,
    async enter(name: string, req: unknown) {
      const key = passwordAttemptKey(name, req)
      if (key === undefined) return undefined
      const attempt = await guard.admit(key)
      return (result: { ok: true; value: unknown } | { ok: false; error: ErrorInfo }) => attempt.settle(attemptOutcome(name, result))
    },
  }
}
