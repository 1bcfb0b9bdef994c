import type { Client, InStatement, ResultSet } from '@libsql/client'
import { CertError } from '../shared/errors'

export interface ThrottleRule {
  /** Failures a source may make in one window before it has to wait. */
  freeFailures: number
  /** A source's count starts again this long after its first failure. */
  windowMs: number
  /** Wait after the first failure over the limit; doubles with each further one. */
  baseDelayMs: number
  maxDelayMs: number
}

export const IDENTITY_THROTTLE: ThrottleRule = { freeFailures: 5, windowMs: 3_600_000, baseDelayMs: 60_000, maxDelayMs: 3_600_000 }
export const CMP_THROTTLE: ThrottleRule = { freeFailures: 10, windowMs: 3_600_000, baseDelayMs: 60_000, maxDelayMs: 3_600_000 }

/**
 * The caller's network source as a throttle key: an IPv4 address, or the /64 an IPv6 address
 * lies in (one host usually holds a whole /64, so counting single addresses would not slow it).
 */
export function sourceKey(remoteAddress: string | undefined): string {
  const a = (remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
  if (a === '') return 'unknown'
  if (!a.includes(':')) return a
  const [head] = a.split('%')
  const groups = (head ?? '').split('::')
  const left = (groups[0] ?? '').split(':').filter((g) => g !== '')
  const right = groups.length > 1 ? (groups[1] ?? '').split(':').filter((g) => g !== '') : []
  const full = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return full.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64'
}

/**
 * Failed guesses counted per network source and per kind of check, in the database so that every
 * process of the center counts together. A source over its allowance waits, with a wait that
 * doubles per further failure; nobody else is locked out by what that source does.
 */
export class SourceThrottle {
  constructor(
    private readonly db: Client,
    private readonly scope: string,
    private readonly rule: ThrottleRule,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws FORBIDDEN `slow-down` while the source has to wait. */
  async check(source: string): Promise<void> {
    this.judge(await this.db.execute(this.checkStatement(source)))
  }

  /** The read behind `check`, for a caller that sends it with reads of its own; `judge` its result. */
  checkStatement(source: string): InStatement {
    return { sql: 'SELECT blocked_until FROM ra_source_failures WHERE scope = ? AND source = ?', args: [this.scope, source] }
  }

  /** Throws FORBIDDEN `slow-down` when checkStatement's result says the source has to wait. */
  judge(rs: ResultSet): void {
    const until = Number(rs.rows[0]?.blocked_until ?? 0)
    const now = this.now()
    if (until > now) {
      throw new CertError('FORBIDDEN', 'too many failed attempts from this network; try again later', { reason: 'slow-down', retryAfterSeconds: Math.ceil((until - now) / 1000) })
    }
  }

  /** Counts one failure; returns how many the source may still make before it has to wait. */
  async fail(source: string): Promise<number> {
    const now = this.now()
    const fresh = now - this.rule.windowMs
    const rs = await this.db.execute({
      sql: `INSERT INTO ra_source_failures (scope, source, failures, first_at, blocked_until) VALUES (?, ?, 1, ?, 0)
            ON CONFLICT (scope, source) DO UPDATE SET
              failures = CASE WHEN ra_source_failures.first_at < ? THEN 1 ELSE ra_source_failures.failures + 1 END,
              first_at = CASE WHEN ra_source_failures.first_at < ? THEN ? ELSE ra_source_failures.first_at END
            RETURNING failures`,
      args: [this.scope, source, now, fresh, fresh, now],
    })
    const failures = Number(rs.rows[0]?.failures ?? 1)
    const over = failures - this.rule.freeFailures
    if (over >= 0) {
      const delay = Math.min(this.rule.maxDelayMs, this.rule.baseDelayMs * 2 ** Math.min(over, 30))
      await this.db.execute({ sql: 'UPDATE ra_source_failures SET blocked_until = ? WHERE scope = ? AND source = ?', args: [now + delay, this.scope, source] })
    }
    return Math.max(0, -over)
  }
}
