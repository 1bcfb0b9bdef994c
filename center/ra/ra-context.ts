import { randomInt, timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import type { Client, InStatement, InValue, Row, Transaction } from '@libsql/client'
import { CertError } from '../../shared/errors'
import type { MEDIA, SESSION_PURPOSES } from '../../shared/ra/api'
import type { CaFacade } from '../ca/facade'
import { OutboxMessenger, OUTBOX_FILE, type Messenger } from './messenger'
import { loadRaKey, SecretBox } from './secrets'

export type { CertType } from '../ca/facade'
// Taken from the lists the RA's JSON schemas check (shared/ra/api.ts), so they cannot drift.
export type Medium = (typeof MEDIA)[number]
export type SessionPurpose = (typeof SESSION_PURPOSES)[number]
export type EnrollmentPurpose = Extract<SessionPurpose, 'issue' | 'reissue'>
export type Actor = 'customer' | 'operator' | 'ca'

/** Yearly fee per certificate type, KRW, VAT included (NPKI.md §5). */
export interface RaFees {
  limited: number
  general: number
}

export interface RaOptions {
  messenger?: Messenger
  now?: () => Date
  /** Folder of the JSON-lines outbox file (usually the center's data dir). */
  outboxDir?: string
  fees?: Partial<RaFees>
  /** Lifetime of a reference number / authorization code pair. */
  codeTtlSeconds?: number
  /** Shown in messages and on cards. */
  name?: string
  bankCode?: string
  startingBalanceKrw?: number
  renewalWindowDays?: number
  /**
   * Whether the CA also wants the RA's 갱신 checks before a kur ('ra') or only a signature by
   * the current key inside the window ('signature'); published in /ra/info so a client knows
   * which to run. Read on every call: the CA's setting may change while running.
   */
  renewalCheck?: () => 'ra' | 'signature'
  /** 32-byte key for sealed columns; by default the key file in `keyDir`. */
  secretKey?: Uint8Array
  /** Folder of the RA key file (the center's data dir); by default the SQLite file's folder. Needed on PostgreSQL. */
  keyDir?: string
}

/** What the RA needs of the CA; CaFacade satisfies it. */
export type RaCaPort = Pick<CaFacade, 'findActiveCert' | 'certBySerial' | 'revokeSerial'>

export const LIMITS = {
  identityFailures: 5,
  phoneFailures: 3,
  phoneSends: 5,
  phoneCodeTtlSeconds: 180,
  mediumFailures: 3,
  enrollmentFailures: 3,
  registerAttempts: 3,
  sessionTtlSeconds: 15 * 60,
  renewalAuthSeconds: 10 * 60,
  registerChallengeSeconds: 5 * 60,
} as const

export function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v ?? 0)
}

export function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v)
}

export function digits(s: string): string {
  return s.replace(/[\s-]/g, '')
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a.normalize('NFC'))
  const y = Buffer.from(b.normalize('NFC'))
  return x.length === y.length && timingSafeEqual(x, y)
}

export function bad(field: string, message: string): CertError {
  return new CertError('BAD_REQUEST', message, { field })
}

function isBusy(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return e?.code === 'SQLITE_BUSY' || /database is locked/i.test(e?.message ?? '')
}

/**
 * What every part of the RA shares: the database, the sealing key, the clock, the settings and
 * the audit trail. The parts (customers, sessions, codes and fees, renewal, revocation,
 * registration, outbox) are functions over this context; `Ra` puts them behind one object.
 */
export class RaContext {
  readonly name: string
  readonly bankCode: string
  readonly fees: RaFees
  readonly codeTtlSeconds: number
  readonly renewalWindowDays: number
  /** 'ra' when a kur also needs the RA's 갱신 checks, 'signature' when the current key is enough. */
  renewalCheck(): 'ra' | 'signature' {
    return this.opts.renewalCheck?.() ?? 'ra'
  }
  readonly startingBalanceKrw: number
  readonly now: () => Date
  readonly messenger: Messenger
  /** True when codes go to the local outbox rather than a real gateway. */
  readonly usesOutbox: boolean
  private boxPromise?: Promise<SecretBox>

  constructor(
    readonly db: Client,
    private readonly opts: RaOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date())
    this.name = opts.name ?? 'CertMgr 인증센터'
    this.bankCode = opts.bankCode ?? 'CERTMGR'
    this.fees = { limited: opts.fees?.limited ?? 0, general: opts.fees?.general ?? 4400 }
    this.codeTtlSeconds = opts.codeTtlSeconds ?? 600
    this.renewalWindowDays = opts.renewalWindowDays ?? 30
    this.startingBalanceKrw = opts.startingBalanceKrw ?? 10_000
    this.messenger = opts.messenger ?? new OutboxMessenger(db, { file: opts.outboxDir ? join(opts.outboxDir, OUTBOX_FILE) : undefined, now: this.now })
    this.usesOutbox = !opts.messenger || opts.messenger instanceof OutboxMessenger
  }

  box(): Promise<SecretBox> {
    this.boxPromise ??= (this.opts.secretKey ? Promise.resolve(this.opts.secretKey) : loadRaKey(this.db, this.opts.keyDir)).then((k) => new SecretBox(k))
    this.boxPromise.catch(() => (this.boxPromise = undefined))
    return this.boxPromise
  }

  ms(): number {
    return this.now().getTime()
  }

  async one(sql: string, args: InValue[] = []): Promise<Row | undefined> {
    const rs = await this.db.execute({ sql, args })
    return rs.rows[0]
  }

  async run(sql: string, args: InValue[] = []): Promise<number> {
    const rs = await this.db.execute({ sql, args })
    return rs.rowsAffected
  }

  /** A write transaction, retried while another process holds the write lock. */
  async tx<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let tx: Transaction
      try {
        tx = await this.db.transaction('write')
      } catch (err) {
        if (isBusy(err) && attempt < 100) {
          await new Promise((r) => setTimeout(r, 10 + randomInt(40)))
          continue
        }
        throw err
      }
      try {
        const out = await fn(tx)
        await tx.commit()
        return out
      } catch (err) {
        await tx.rollback().catch(() => undefined)
        throw err
      } finally {
        tx.close()
      }
    }
  }

  /** Audit trail. `detail` must never carry secrets: no codes, resident or account numbers. */
  async audit(actor: Actor, action: string, outcome: 'ok' | 'fail' | 'locked', ids: { customerId?: string; sessionId?: string } = {}, detail?: Record<string, string | number | boolean>): Promise<void> {
    await this.db.execute(this.auditStatement(actor, action, outcome, ids, detail))
  }

  /** The audit row as a statement, to commit in one batch with what it records. */
  auditStatement(actor: Actor, action: string, outcome: 'ok' | 'fail' | 'locked', ids: { customerId?: string; sessionId?: string } = {}, detail?: Record<string, string | number | boolean>): InStatement {
    return {
      sql: 'INSERT INTO audit (at, actor, action, outcome, customer_id, session_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      args: [
        this.ms(),
        actor,
        action,
        outcome,
        ids.customerId ?? null,
        // Only a prefix: the session id is a bearer token.
        ids.sessionId ? ids.sessionId.slice(0, 8) : null,
        detail ? JSON.stringify(detail) : null,
      ],
    }
  }
}

/** Lower-case hex without separators or leading zero bytes, so "00:AB" and "ab" name the same serial. */
export function normalizeSerial(serialHex: string): string {
  const hex = serialHex.replace(/[\s:]/g, '').toLowerCase()
  if (!/^[0-9a-f]{1,128}$/.test(hex)) throw bad('serialHex', 'the serial number must be hexadecimal')
  const stripped = hex.replace(/^(00)+/, '')
  return stripped === '' ? '0' : stripped
}
