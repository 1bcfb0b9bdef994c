import { randomBytes, randomInt, timingSafeEqual, X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import type { Client, InValue, Row, Transaction } from '@libsql/client'
import { registrationSignedData } from '../../shared/register-challenge'
import { CertError } from '../../shared/errors'
import type { CaFacade, CertType, RevocationReason } from '../ca/facade'
import { cardChallenge, checkCardResponse, newSecurityCard, type SecurityCard } from './card'
import { OutboxMessenger, OUTBOX_FILE, readOutbox, type Messenger, type OutboxEntry } from './messenger'
import { loadRaKey, SecretBox } from './secrets'
import { newTotpSecret, otpauthUri, verifyTotp } from './totp'
import { checkSignature, checkVid } from './vid'

export type { CertType } from '../ca/facade'
export type Medium = 'card' | 'otp'
export type SessionPurpose = 'issue' | 'reissue' | 'renew' | 'revoke' | 'register'
export type EnrollmentPurpose = 'issue' | 'reissue'

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
  /** 32-byte key for sealed columns; by default a key file next to the database. */
  secretKey?: Uint8Array
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

export interface Customer {
  id: string
  name: string
  idn: string
  phone: string
  bankCode: string
}

export interface NewCustomer {
  name: string
  idn: string
  phone: string
  account?: string
  medium?: Medium
  balanceKrw?: number
}

export interface CreatedCustomer {
  customerId: string
  account: string
  medium: Medium
  card?: { serial: string; slots: string[] }
  otpUri?: string
}

export interface EnrollmentCodes {
  reference: string
  authCode: string
  expiresAt: string
  feeKrw: number
}

type Actor = 'customer' | 'operator' | 'ca'

const AUTH_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const CERT_TYPES: readonly string[] = ['limited', 'general']
const PURPOSES: readonly string[] = ['issue', 'reissue', 'renew', 'revoke', 'register']

const REVOCATION_NAMES: Record<string, RevocationReason> = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v ?? 0)
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v)
}

function digits(s: string): string {
  return s.replace(/[\s-]/g, '')
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a.normalize('NFC'))
  const y = Buffer.from(b.normalize('NFC'))
  return x.length === y.length && timingSafeEqual(x, y)
}

function bad(field: string, message: string): CertError {
  return new CertError('BAD_REQUEST', message, { field })
}

/** Lower-case hex without separators or leading zero bytes, so "00:AB" and "ab" name the same serial. */
export function normalizeSerial(serialHex: string): string {
  const hex = serialHex.replace(/[\s:]/g, '').toLowerCase()
  if (!/^[0-9a-f]{1,128}$/.test(hex)) throw bad('serialHex', 'the serial number must be hexadecimal')
  const stripped = hex.replace(/^(00)+/, '')
  return stripped === '' ? '0' : stripped
}

export function revocationReason(input: unknown): RevocationReason {
  if (typeof input === 'number' && [0, 1, 2, 3, 4, 5, 6, 8, 9, 10].includes(input)) return input as RevocationReason
  if (typeof input === 'string' && input in REVOCATION_NAMES) return REVOCATION_NAMES[input] as RevocationReason
  throw bad('reason', 'unknown revocation reason')
}

function isBusy(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return e?.code === 'SQLITE_BUSY' || /database is locked/i.test(e?.message ?? '')
}

/**
 * The registration authority of the certification center: customers, security media, phone
 * checks, one-time enrollment codes and renewal authorizations. Every check is counted and
 * locked out after a few failures, and every attempt lands in `audit` without its secret.
 */
export class Ra {
  readonly name: string
  readonly bankCode: string
  readonly fees: RaFees
  readonly codeTtlSeconds: number
  readonly renewalWindowDays: number
  readonly startingBalanceKrw: number
  private readonly now: () => Date
  private readonly messenger: Messenger
  /** True when codes go to the local outbox rather than a real gateway. */
  readonly usesOutbox: boolean
  private boxPromise?: Promise<SecretBox>

  constructor(
    private readonly db: Client,
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

  // ---- infrastructure ------------------------------------------------------------------

  private box(): Promise<SecretBox> {
    this.boxPromise ??= (this.opts.secretKey ? Promise.resolve(this.opts.secretKey) : loadRaKey(this.db)).then((k) => new SecretBox(k))
    this.boxPromise.catch(() => (this.boxPromise = undefined))
    return this.boxPromise
  }

  private ms(): number {
    return this.now().getTime()
  }

  private async one(sql: string, args: InValue[] = []): Promise<Row | undefined> {
    const rs = await this.db.execute({ sql, args })
    return rs.rows[0]
  }

  private async run(sql: string, args: InValue[] = []): Promise<number> {
    const rs = await this.db.execute({ sql, args })
    return rs.rowsAffected
  }

  /** A write transaction, retried while another process holds the write lock. */
  private async tx<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
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
    await this.run('INSERT INTO audit (at, actor, action, outcome, customer_id, session_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      this.ms(),
      actor,
      action,
      outcome,
      ids.customerId ?? null,
      // Only a prefix: the session id is a bearer token.
      ids.sessionId ? ids.sessionId.slice(0, 8) : null,
      detail ? JSON.stringify(detail) : null,
    ])
  }

  // ---- customers -----------------------------------------------------------------------

  async createCustomer(input: NewCustomer, actor: Actor = 'operator'): Promise<CreatedCustomer> {
    const name = (input.name ?? '').trim().normalize('NFC')
    if (name.length < 1 || name.length > 40) throw bad('name', 'the name must be 1 to 40 characters')
    const idn = digits(input.idn ?? '')
    if (!/^(\d{13}|\d{10})$/.test(idn)) throw bad('idn', 'the resident number must have 13 digits (or 10 for a business)')
    const phone = digits(input.phone ?? '')
    if (!/^0\d{8,10}$/.test(phone)) throw bad('phone', 'the phone number must have 9 to 11 digits and start with 0')
    const medium: Medium = input.medium ?? 'card'
    if (medium !== 'card' && medium !== 'otp') throw bad('medium', "the security medium must be 'card' or 'otp'")
    let account = input.account !== undefined ? digits(input.account) : undefined
    if (account !== undefined && !/^\d{10,14}$/.test(account)) throw bad('account', 'the account number must have 10 to 14 digits')
    const balance = input.balanceKrw ?? this.startingBalanceKrw
    if (!Number.isSafeInteger(balance) || balance < 0) throw bad('balance', 'the balance must be a whole number of won, 0 or more')

    const box = await this.box()
    const idnMac = box.mac('idn', idn)
    const card = medium === 'card' ? newSecurityCard() : undefined
    const otpSecret = medium === 'otp' ? newTotpSecret() : undefined
    const at = this.ms()

    const customerId = await this.tx(async (tx) => {
      const dup = await tx.execute({ sql: 'SELECT 1 FROM ra_customers WHERE idn_mac = ?', args: [idnMac] })
      if (dup.rows.length > 0) throw new CertError('CONFLICT', 'a customer with this resident number already exists', { reason: 'customer-exists' })
      if (account !== undefined) {
        const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_accounts WHERE number = ?', args: [account] })
        if (taken.rows.length > 0) throw new CertError('CONFLICT', 'this account number is already in use', { reason: 'account-exists' })
      } else {
        for (;;) {
          // 900 is not a prefix real Korean banks use, so a made-up account never looks real.
          const candidate = '900' + String(randomInt(0, 1e9)).padStart(9, '0')
          const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_accounts WHERE number = ?', args: [candidate] })
          if (taken.rows.length === 0) {
            account = candidate
            break
          }
        }
      }
      let id: string
      for (;;) {
        id = 'C' + String(randomInt(0, 1e9)).padStart(9, '0')
        const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_customers WHERE id = ?', args: [id] })
        if (taken.rows.length === 0) break
      }
      await tx.execute({
        sql: 'INSERT INTO ra_customers (id, name, idn_sealed, idn_mac, phone, bank_code, medium, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        args: [id, name, box.seal(idn, `idn:${id}`), idnMac, phone, this.bankCode, medium, at],
      })
      await tx.execute({ sql: 'INSERT INTO ra_accounts (number, customer_id, balance_krw, created_at) VALUES (?, ?, ?, ?)', args: [account!, id, balance, at] })
      const secret = card ? JSON.stringify(card) : Buffer.from(otpSecret!).toString('base64')
      await tx.execute({
        sql: 'INSERT INTO ra_media (customer_id, kind, secret_sealed, created_at) VALUES (?, ?, ?, ?)',
        args: [id, medium, box.seal(secret, `medium:${id}`), at],
      })
      return id
    })
    await this.audit(actor, 'customer.create', 'ok', { customerId }, { medium })
    return {
      customerId,
      account: account!,
      medium,
      ...(card ? { card: { serial: card.serial, slots: card.slots } } : {}),
      ...(otpSecret ? { otpUri: otpauthUri(otpSecret, this.name, customerId) } : {}),
    }
  }

  async getCustomer(customerId: string): Promise<Customer | undefined> {
    const row = await this.one('SELECT id, name, idn_sealed, phone, bank_code FROM ra_customers WHERE id = ?', [customerId])
    if (!row) return undefined
    const box = await this.box()
    return { id: str(row.id), name: str(row.name), idn: box.open(str(row.idn_sealed), `idn:${str(row.id)}`), phone: str(row.phone), bankCode: str(row.bank_code) }
  }

  async accounts(customerId: string): Promise<{ number: string; balanceKrw: number }[]> {
    const rs = await this.db.execute({ sql: 'SELECT number, balance_krw FROM ra_accounts WHERE customer_id = ? ORDER BY created_at, number', args: [customerId] })
    return rs.rows.map((r) => ({ number: str(r.number), balanceKrw: num(r.balance_krw) }))
  }

  private async mediumRow(customerId: string): Promise<Row> {
    const row = await this.one('SELECT kind, secret_sealed, failures, locked_at, otp_last_step FROM ra_media WHERE customer_id = ?', [customerId])
    if (!row) throw new CertError('NOT_FOUND', 'the customer has no security medium', { reason: 'medium' })
    return row
  }

  /** The customer's security card, for printing by the operator. */
  async securityCard(customerId: string): Promise<SecurityCard> {
    const row = await this.mediumRow(customerId)
    if (row.kind !== 'card') throw new CertError('CONFLICT', 'this customer uses an OTP device, not a security card', { reason: 'medium-kind' })
    const card = JSON.parse((await this.box()).open(str(row.secret_sealed), `medium:${customerId}`)) as SecurityCard
    await this.audit('operator', 'medium.card.show', 'ok', { customerId })
    return card
  }

  /** otpauth:// URI for the customer's authenticator app. */
  async otpUri(customerId: string): Promise<string> {
    const row = await this.mediumRow(customerId)
    if (row.kind !== 'otp') throw new CertError('CONFLICT', 'this customer uses a security card, not OTP', { reason: 'medium-kind' })
    const secret = Buffer.from((await this.box()).open(str(row.secret_sealed), `medium:${customerId}`), 'base64')
    await this.audit('operator', 'medium.otp.show', 'ok', { customerId })
    return otpauthUri(secret, this.name, customerId)
  }

  /** Operator action after an in-person ID check: clears identity and medium lockouts. */
  async unlockCustomer(customerId: string): Promise<void> {
    const n = await this.run('UPDATE ra_customers SET identity_failures = 0, identity_locked_at = NULL WHERE id = ?', [customerId])
    if (n === 0) throw new CertError('NOT_FOUND', 'no such customer', { reason: 'customer' })
    await this.run('UPDATE ra_media SET failures = 0, locked_at = NULL WHERE customer_id = ?', [customerId])
    await this.audit('operator', 'customer.unlock', 'ok', { customerId })
  }

  // ---- money ---------------------------------------------------------------------------

  /** Debits the customer's first account; atomic, refuses (and leaves the balance) when short. */
  async charge(customerId: string, amountKrw: number, memo: string): Promise<void> {
    if (!Number.isSafeInteger(amountKrw) || amountKrw < 0) throw bad('amount', 'the amount must be a whole number of won, 0 or more')
    try {
      await this.tx(async (tx) => {
        const rs = await tx.execute({ sql: 'SELECT number, balance_krw FROM ra_accounts WHERE customer_id = ? ORDER BY created_at, number LIMIT 1', args: [customerId] })
        const acc = rs.rows[0]
        if (!acc) throw new CertError('NOT_FOUND', 'the customer has no account', { reason: 'account' })
        const balance = num(acc.balance_krw)
        if (balance < amountKrw) {
          throw new CertError('CENTER', 'the account balance is too low to pay the certificate fee', { reason: 'balance', requiredKrw: amountKrw, balanceKrw: balance })
        }
        await tx.execute({ sql: 'UPDATE ra_accounts SET balance_krw = balance_krw - ? WHERE number = ?', args: [amountKrw, str(acc.number)] })
        await tx.execute({
          sql: 'INSERT INTO ra_ledger (account, customer_id, amount_krw, balance_after_krw, memo, at) VALUES (?, ?, ?, ?, ?, ?)',
          args: [str(acc.number), customerId, -amountKrw, balance - amountKrw, memo.slice(0, 200), this.ms()],
        })
      })
    } catch (err) {
      await this.audit('ca', 'account.charge', 'fail', { customerId }, { amountKrw, reason: err instanceof CertError ? String(err.params?.reason ?? err.code) : 'error' })
      throw err
    }
    await this.audit('ca', 'account.charge', 'ok', { customerId }, { amountKrw })
  }

  // ---- enrollment codes (consumed by the CA's CMP server) -------------------------------

  /** A fresh reference number / authorization code pair; earlier unused pairs of that type die. */
  async createEnrollmentCodes(customerId: string, certType: CertType, purpose: EnrollmentPurpose, actor: Actor = 'operator', ttlSeconds = this.codeTtlSeconds): Promise<EnrollmentCodes> {
    if (!CERT_TYPES.includes(certType)) throw bad('certType', "the certificate type must be 'limited' or 'general'")
    if (purpose !== 'issue' && purpose !== 'reissue') throw bad('purpose', "the purpose must be 'issue' or 'reissue'")
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > 30 * 86400) throw bad('ttl', 'the code lifetime must be 60 seconds to 30 days')
    const exists = await this.one('SELECT 1 FROM ra_customers WHERE id = ?', [customerId])
    if (!exists) throw new CertError('NOT_FOUND', 'no such customer', { reason: 'customer' })
    const box = await this.box()
    const at = this.ms()
    const expiresAt = at + ttlSeconds * 1000
    const chars = Array.from({ length: 12 }, () => AUTH_ALPHABET[randomInt(AUTH_ALPHABET.length)]).join('')
    const authCode = `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`
    const reference = await this.tx(async (tx) => {
      await tx.execute({
        sql: 'UPDATE ra_enrollments SET revoked_at = ? WHERE customer_id = ? AND cert_type = ? AND used_at IS NULL AND revoked_at IS NULL',
        args: [at, customerId, certType],
      })
      for (;;) {
        const ref = String(randomInt(10_000_000, 100_000_000))
        const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_enrollments WHERE reference = ?', args: [ref] })
        if (taken.rows.length > 0) continue
        await tx.execute({
          sql: 'INSERT INTO ra_enrollments (reference, auth_code_sealed, customer_id, cert_type, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          args: [ref, box.seal(authCode, `auth:${ref}`), customerId, certType, purpose, at, expiresAt],
        })
        return ref
      }
    })
    await this.audit(actor, 'enrollment.codes', 'ok', { customerId }, { certType, purpose, reference })
    return { reference, authCode, expiresAt: new Date(expiresAt).toISOString(), feeKrw: this.fees[certType] }
  }

  async lookupEnrollment(reference: string): Promise<{ authCode: string; customerId: string; certType: CertType; purpose: EnrollmentPurpose; customer?: Customer } | undefined> {
    if (!/^\d{8}$/.test(reference)) {
      await this.audit('ca', 'enrollment.lookup', 'fail', {}, { reason: 'malformed' })
      return undefined
    }
    // The customer comes along in the same query: the CA needs both for every issuance.
    const row = await this.one(
      `SELECT e.auth_code_sealed, e.customer_id, e.cert_type, e.purpose, e.expires_at, e.used_at, e.locked_at, e.revoked_at,
              c.name, c.idn_sealed, c.phone, c.bank_code
         FROM ra_enrollments e LEFT JOIN ra_customers c ON c.id = e.customer_id WHERE e.reference = ?`,
      [reference],
    )
    const reason = !row ? 'unknown' : row.used_at !== null ? 'used' : row.locked_at !== null ? 'locked' : row.revoked_at !== null ? 'replaced' : num(row.expires_at) <= this.ms() ? 'expired' : undefined
    if (!row || reason) {
      await this.audit('ca', 'enrollment.lookup', reason === 'locked' ? 'locked' : 'fail', { customerId: row ? str(row.customer_id) : undefined }, { reference, reason: reason ?? 'unknown' })
      return undefined
    }
    const box = await this.box()
    const authCode = box.open(str(row.auth_code_sealed), `auth:${reference}`)
    const customerId = str(row.customer_id)
    const customer = row.name == null ? undefined : { id: customerId, name: str(row.name), idn: box.open(str(row.idn_sealed), `idn:${customerId}`), phone: str(row.phone), bankCode: str(row.bank_code) }
    return { authCode, customerId, certType: str(row.cert_type) as CertType, purpose: str(row.purpose) as EnrollmentPurpose, customer }
  }

  async recordEnrollmentFailure(reference: string): Promise<void> {
    const rs = await this.db.execute({
      sql: `UPDATE ra_enrollments SET failures = failures + 1,
              locked_at = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_at END
            WHERE reference = ? RETURNING failures, customer_id`,
      args: [LIMITS.enrollmentFailures, this.ms(), reference],
    })
    const row = rs.rows[0]
    const failures = row ? num(row.failures) : 0
    await this.audit('ca', 'enrollment.mac', failures >= LIMITS.enrollmentFailures ? 'locked' : 'fail', { customerId: row ? str(row.customer_id) : undefined }, { reference, failures })
  }

  /**
   * Marks the reference used. Returns false when it already was: the update is the one atomic
   * claim on a reference, so two requests racing in different processes cannot both issue.
   */
  async consumeEnrollment(reference: string): Promise<boolean> {
    const at = this.ms()
    // The claim and its audit row in one commit: the audit reads the claim's outcome from changes().
    const [claim] = await this.db.batch(
      [
        { sql: 'UPDATE ra_enrollments SET used_at = ? WHERE reference = ? AND used_at IS NULL', args: [at, reference] },
        {
          sql: `INSERT INTO audit (at, actor, action, outcome, customer_id, session_id, detail)
                SELECT ?, 'ca', 'enrollment.consume', CASE WHEN changes() > 0 THEN 'ok' ELSE 'fail' END,
                       CASE WHEN changes() > 0 THEN (SELECT customer_id FROM ra_enrollments WHERE reference = ?) END, NULL, ?`,
          args: [at, reference, JSON.stringify({ reference })],
        },
      ],
      'write',
    )
    return (claim?.rowsAffected ?? 0) === 1
  }

  /** Undoes consumeEnrollment when the issuance stopped before anything was issued (e.g. the fee could not be paid). */
  async releaseEnrollment(reference: string): Promise<void> {
    const rs = await this.db.execute({ sql: 'UPDATE ra_enrollments SET used_at = NULL WHERE reference = ? AND used_at IS NOT NULL RETURNING customer_id', args: [reference] })
    const row = rs.rows[0]
    if (row) await this.audit('ca', 'enrollment.release', 'ok', { customerId: str(row.customer_id) }, { reference })
  }

  /**
   * The authorization code of a reference whose ir opened a transaction, to check and MAC that
   * transaction's certConf. It is read from the sealed row rather than kept in memory, so any
   * process of the center can answer the certConf.
   */
  async enrollmentSecret(reference: string): Promise<string | undefined> {
    if (!/^\d{8}$/.test(reference)) return undefined
    const row = await this.one('SELECT auth_code_sealed FROM ra_enrollments WHERE reference = ?', [reference])
    return row ? (await this.box()).open(str(row.auth_code_sealed), `auth:${reference}`) : undefined
  }

  // ---- renewal authorizations (checked by the CA on kur) --------------------------------

  async isRenewalAuthorized(serialHex: string): Promise<boolean> {
    let serial: string
    try {
      serial = normalizeSerial(serialHex)
    } catch {
      return false
    }
    const row = await this.one('SELECT 1 FROM ra_renewals WHERE serial_hex = ? AND used_at IS NULL AND expires_at > ?', [serial, this.ms()])
    return row !== undefined
  }

  async consumeRenewalAuthorization(serialHex: string): Promise<void> {
    const serial = normalizeSerial(serialHex)
    const rs = await this.db.execute({ sql: 'UPDATE ra_renewals SET used_at = ? WHERE serial_hex = ? AND used_at IS NULL RETURNING customer_id', args: [this.ms(), serial] })
    const row = rs.rows[0]
    await this.audit('ca', 'renewal.consume', row ? 'ok' : 'fail', { customerId: row ? str(row.customer_id) : undefined }, { serialHex: serial })
  }

  // ---- the customer-facing session flow ------------------------------------------------

  /** Identity check (name + resident number + account). Five failures lock online checks. */
  async openSession(input: { name: string; idn: string; account: string; purpose: SessionPurpose; serialHex?: string }): Promise<{ sessionId: string; medium: Medium }> {
    if (!PURPOSES.includes(input.purpose)) throw bad('purpose', 'unknown purpose')
    if (typeof input.name !== 'string' || typeof input.idn !== 'string' || typeof input.account !== 'string') throw bad('identity', 'name, resident number and account number are required')
    const serial = input.serialHex !== undefined ? normalizeSerial(input.serialHex) : null
    const box = await this.box()
    const idn = digits(input.idn)
    const account = digits(input.account)
    const byIdn = await this.one('SELECT id, name, medium, identity_locked_at FROM ra_customers WHERE idn_mac = ?', [box.mac('idn', idn)])
    const acc = await this.one('SELECT customer_id FROM ra_accounts WHERE number = ?', [account])
    // Whose failure counter a mismatch feeds: the person the resident number names, else the account's owner.
    const target = byIdn ? str(byIdn.id) : acc ? str(acc.customer_id) : undefined
    const customer = target ? await this.one('SELECT id, name, medium, identity_locked_at FROM ra_customers WHERE id = ?', [target]) : undefined
    if (customer && customer.identity_locked_at !== null) {
      await this.audit('customer', 'session.open', 'locked', { customerId: target }, { purpose: input.purpose })
      throw new CertError('FORBIDDEN', 'online identity checks are locked for this customer; the bank must unlock them', { reason: 'identity-locked' })
    }
    const ok = byIdn !== undefined && acc !== undefined && str(acc.customer_id) === str(byIdn.id) && sameText(str(byIdn.name), input.name.trim())
    if (!ok || !customer) {
      let remaining: number = LIMITS.identityFailures
      if (target) {
        const rs = await this.db.execute({
          sql: `UPDATE ra_customers SET identity_failures = identity_failures + 1,
                  identity_locked_at = CASE WHEN identity_failures + 1 >= ? THEN ? ELSE identity_locked_at END
                WHERE id = ? RETURNING identity_failures`,
          args: [LIMITS.identityFailures, this.ms(), target],
        })
        remaining = Math.max(0, LIMITS.identityFailures - num(rs.rows[0]?.identity_failures))
      }
      await this.audit('customer', 'session.open', remaining === 0 ? 'locked' : 'fail', { customerId: target }, { purpose: input.purpose, remaining })
      if (remaining === 0) throw new CertError('FORBIDDEN', 'online identity checks are locked for this customer; the bank must unlock them', { reason: 'identity-locked' })
      throw new CertError('FORBIDDEN', 'the name, resident number or account number does not match our records', { reason: 'identity', remaining })
    }
    await this.run('UPDATE ra_customers SET identity_failures = 0 WHERE id = ?', [target!])
    // Housekeeping: sessions are useless a day after they expired (the audit keeps the history).
    await this.run('DELETE FROM ra_sessions WHERE expires_at < ?', [this.ms() - 86_400_000])
    const sessionId = randomBytes(24).toString('base64url')
    const at = this.ms()
    await this.run('INSERT INTO ra_sessions (id, customer_id, purpose, serial_hex, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
      sessionId,
      target!,
      input.purpose,
      serial,
      at,
      at + LIMITS.sessionTtlSeconds * 1000,
    ])
    await this.audit('customer', 'session.open', 'ok', { customerId: target, sessionId }, { purpose: input.purpose })
    return { sessionId, medium: str(customer.medium) as Medium }
  }

  /** `attempt` names the check being tried, so a try on a locked session is audited too. */
  private async session(sessionId: string, attempt?: string): Promise<Row> {
    const row = typeof sessionId === 'string' && sessionId.length <= 64 ? await this.one('SELECT * FROM ra_sessions WHERE id = ?', [sessionId]) : undefined
    if (!row || num(row.expires_at) <= this.ms()) throw new CertError('NOT_FOUND', 'the verification session does not exist or has expired', { reason: 'session' })
    if (row.locked_at !== null) {
      if (attempt) await this.audit('customer', attempt, 'locked', { customerId: str(row.customer_id), sessionId })
      throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
    }
    return row
  }

  async sendPhoneCode(sessionId: string, channel: 'sms' | 'ars'): Promise<{ expiresAt: string; to: string }> {
    if (channel !== 'sms' && channel !== 'ars') throw bad('channel', "the channel must be 'sms' or 'ars'")
    const s = await this.session(sessionId)
    const customerId = str(s.customer_id)
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const expiresAt = this.ms() + LIMITS.phoneCodeTtlSeconds * 1000
    const box = await this.box()
    const n = await this.run(
      `UPDATE ra_sessions SET phone_sends = phone_sends + 1, phone_code_mac = ?, phone_code_expires_at = ?, phone_failures = 0
       WHERE id = ? AND phone_sends < ? AND phone_verified = 0`,
      [box.mac(`phone:${sessionId}`, code), expiresAt, sessionId, LIMITS.phoneSends],
    )
    if (n === 0) {
      await this.audit('customer', 'phone.send', 'fail', { customerId, sessionId }, { channel, reason: s.phone_verified ? 'verified' : 'limit' })
      if (num(s.phone_verified)) throw new CertError('CONFLICT', 'the phone number is already verified', { reason: 'phone-verified' })
      throw new CertError('FORBIDDEN', 'too many codes were sent in this verification session', { reason: 'phone-send-limit' })
    }
    const customer = await this.one('SELECT phone FROM ra_customers WHERE id = ?', [customerId])
    const to = str(customer?.phone)
    const minutes = Math.round(LIMITS.phoneCodeTtlSeconds / 60)
    const text =
      channel === 'sms'
        ? `[${this.name}] 인증번호 ${code} (${minutes}분 이내 입력)`
        : `[${this.name}] ARS 전화 안내: 인증번호는 ${code.split('').join(' ')} 입니다. ${minutes}분 이내에 입력해 주세요.`
    await this.messenger.send({ to, channel, text })
    await this.audit('customer', 'phone.send', 'ok', { customerId, sessionId }, { channel })
    // Only the last digits, so the UI can say where the code went without showing the number.
    return { expiresAt: new Date(expiresAt).toISOString(), to: `***-****-${to.slice(-4)}` }
  }

  async verifyPhoneCode(sessionId: string, code: string): Promise<void> {
    const s = await this.session(sessionId, 'phone.verify')
    const customerId = str(s.customer_id)
    if (s.phone_code_mac === null) throw new CertError('CONFLICT', 'no code was sent yet', { reason: 'phone-code-not-sent' })
    if (num(s.phone_verified)) return
    // Take the attempt first, so parallel guesses cannot exceed the limit.
    const rs = await this.db.execute({
      sql: `UPDATE ra_sessions SET phone_failures = phone_failures + 1,
              locked_at = CASE WHEN phone_failures + 1 >= ? THEN ? ELSE locked_at END
            WHERE id = ? AND locked_at IS NULL RETURNING phone_failures`,
      args: [LIMITS.phoneFailures, this.ms(), sessionId],
    })
    if (rs.rows.length === 0) {
      await this.audit('customer', 'phone.verify', 'locked', { customerId, sessionId })
      throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
    }
    const used: number = num(rs.rows[0]?.phone_failures)
    const expired = num(s.phone_code_expires_at) <= this.ms()
    const box = await this.box()
    const given = Buffer.from(box.mac(`phone:${sessionId}`, String(code ?? '').trim()))
    const match = !expired && timingSafeEqual(given, Buffer.from(str(s.phone_code_mac)))
    if (match) {
      // Undo only the lock this attempt may have set, not one from another step.
      await this.run(
        'UPDATE ra_sessions SET phone_verified = 1, phone_failures = 0, phone_code_mac = NULL, locked_at = CASE WHEN register_attempts >= ? THEN locked_at ELSE NULL END WHERE id = ?',
        [LIMITS.registerAttempts, sessionId],
      )
      await this.audit('customer', 'phone.verify', 'ok', { customerId, sessionId })
      return
    }
    const remaining: number = Math.max(0, LIMITS.phoneFailures - used)
    await this.audit('customer', 'phone.verify', remaining === 0 ? 'locked' : 'fail', { customerId, sessionId }, { reason: expired ? 'expired' : 'wrong', remaining })
    if (remaining === 0) throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
    if (expired) throw new CertError('FORBIDDEN', 'the code has expired; request a new one', { reason: 'phone-code-expired', remaining })
    throw new CertError('FORBIDDEN', 'the verification code is wrong', { reason: 'phone-code', remaining })
  }

  async mediumChallenge(sessionId: string): Promise<{ medium: 'card'; slots: [number, number] } | { medium: 'otp' }> {
    const s = await this.session(sessionId)
    const customerId = str(s.customer_id)
    const m = await this.mediumRow(customerId)
    if (m.locked_at !== null) throw new CertError('FORBIDDEN', 'the security medium is locked; the bank must unlock it', { reason: 'medium-locked' })
    if (m.kind === 'otp') return { medium: 'otp' }
    // The same slots until answered correctly: a fresh pair per wrong answer would reveal more of the card.
    if (s.medium_challenge !== null) return { medium: 'card', slots: JSON.parse(str(s.medium_challenge)) as [number, number] }
    const card = JSON.parse((await this.box()).open(str(m.secret_sealed), `medium:${customerId}`)) as SecurityCard
    const slots = cardChallenge(card.slots.length)
    await this.run('UPDATE ra_sessions SET medium_challenge = ? WHERE id = ?', [JSON.stringify(slots), sessionId])
    return { medium: 'card', slots }
  }

  async verifyMedium(sessionId: string, response: string): Promise<void> {
    const s = await this.session(sessionId, 'medium.verify')
    const customerId = str(s.customer_id)
    if (num(s.medium_verified)) return
    const m = await this.mediumRow(customerId)
    const kind = str(m.kind) as Medium
    if (kind === 'card' && s.medium_challenge === null) throw new CertError('CONFLICT', 'ask for a security card challenge first', { reason: 'medium-no-challenge' })
    const rs = await this.db.execute({
      sql: `UPDATE ra_media SET failures = failures + 1,
              locked_at = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_at END
            WHERE customer_id = ? AND locked_at IS NULL RETURNING failures`,
      args: [LIMITS.mediumFailures, this.ms(), customerId],
    })
    if (rs.rows.length === 0) {
      await this.audit('customer', 'medium.verify', 'locked', { customerId, sessionId }, { medium: kind })
      throw new CertError('FORBIDDEN', 'the security medium is locked; the bank must unlock it', { reason: 'medium-locked' })
    }
    const used: number = num(rs.rows[0]?.failures)
    const secret = (await this.box()).open(str(m.secret_sealed), `medium:${customerId}`)
    const answer = String(response ?? '').trim()
    let ok: boolean
    let step: number | undefined
    if (kind === 'card') {
      ok = checkCardResponse(JSON.parse(secret) as SecurityCard, JSON.parse(str(s.medium_challenge)) as [number, number], answer)
    } else {
      step = verifyTotp(Buffer.from(secret, 'base64'), answer.replace(/\s/g, ''), Math.floor(this.ms() / 1000))
      // A code already used (or an older one) is a replay.
      ok = step !== undefined && (m.otp_last_step === null || step > num(m.otp_last_step))
    }
    if (ok) {
      await this.run('UPDATE ra_media SET failures = 0, locked_at = NULL, otp_last_step = COALESCE(?, otp_last_step) WHERE customer_id = ?', [step ?? null, customerId])
      await this.run('UPDATE ra_sessions SET medium_verified = 1, medium_challenge = NULL WHERE id = ?', [sessionId])
      await this.audit('customer', 'medium.verify', 'ok', { customerId, sessionId }, { medium: kind })
      return
    }
    const remaining = Math.max(0, LIMITS.mediumFailures - used)
    await this.audit('customer', 'medium.verify', remaining === 0 ? 'locked' : 'fail', { customerId, sessionId }, { medium: kind, remaining })
    if (remaining === 0) throw new CertError('FORBIDDEN', 'the security medium is locked; the bank must unlock it', { reason: 'medium-locked' })
    throw new CertError('FORBIDDEN', kind === 'card' ? 'the security card numbers are wrong' : 'the OTP code is wrong', { reason: 'medium', remaining })
  }

  private requireSteps(s: Row, purposes: SessionPurpose[], steps: { phone: boolean; medium: boolean }): void {
    if (!purposes.includes(str(s.purpose) as SessionPurpose)) throw new CertError('CONFLICT', `this verification session was opened for '${str(s.purpose)}'`, { reason: 'purpose' })
    if (steps.phone && !num(s.phone_verified)) throw new CertError('CONFLICT', 'verify the phone number first', { reason: 'phone-not-verified' })
    if (steps.medium && !num(s.medium_verified)) throw new CertError('CONFLICT', 'verify the security card or OTP first', { reason: 'medium-not-verified' })
  }

  /** Reference number and authorization code after the identity checks (issue or reissue). */
  async sessionCodes(sessionId: string, certType: CertType, ca: RaCaPort): Promise<EnrollmentCodes> {
    if (!CERT_TYPES.includes(certType)) throw bad('certType', "the certificate type must be 'limited' or 'general'")
    const s = await this.session(sessionId)
    this.requireSteps(s, ['issue', 'reissue'], { phone: true, medium: true })
    const customerId = str(s.customer_id)
    const purpose = str(s.purpose) as EnrollmentPurpose
    if (purpose === 'issue' && (await ca.findActiveCert(customerId, certType))) {
      await this.audit('customer', 'enrollment.codes', 'fail', { customerId, sessionId }, { certType, reason: 'already-issued' })
      throw new CertError('CONFLICT', 'the customer already has a valid certificate of this type; use reissue or renewal', { reason: 'already-issued' })
    }
    const fee = this.fees[certType]
    if (fee > 0) {
      const acc = (await this.accounts(customerId))[0]
      if (!acc || acc.balanceKrw < fee) {
        await this.audit('customer', 'enrollment.codes', 'fail', { customerId, sessionId }, { certType, reason: 'balance' })
        throw new CertError('CENTER', 'the account balance is too low to pay the certificate fee', { reason: 'balance', requiredKrw: fee, balanceKrw: acc?.balanceKrw ?? 0 })
      }
    }
    return this.createEnrollmentCodes(customerId, certType, purpose, 'customer')
  }

  private async ownedCert(s: Row, serialHex: string, ca: RaCaPort): Promise<{ serial: string; certDer: Uint8Array }> {
    const serial = normalizeSerial(serialHex)
    if (s.serial_hex !== null && str(s.serial_hex) !== serial) throw new CertError('CONFLICT', 'this verification session was opened for another certificate', { reason: 'serial' })
    const cert = await ca.certBySerial(serial)
    if (!cert) throw new CertError('NOT_FOUND', 'no certificate with this serial number was issued here', { reason: 'cert' })
    if (cert.customerId !== str(s.customer_id)) {
      await this.audit('customer', 'cert.ownership', 'fail', { customerId: str(s.customer_id), sessionId: str(s.id) }, { serialHex: serial })
      throw new CertError('FORBIDDEN', 'the certificate belongs to another customer', { reason: 'not-owner' })
    }
    if (cert.status === 'revoked') throw new CertError('CONFLICT', 'the certificate is revoked', { reason: 'revoked' })
    if (cert.status !== 'active') throw new CertError('CONFLICT', `the certificate is ${cert.status}`, { reason: cert.status })
    return { serial, certDer: cert.certDer }
  }

  /** Allows one kur for this certificate during the next minutes. */
  async authorizeRenewal(sessionId: string, serialHex: string, ca: RaCaPort): Promise<{ serialHex: string; expiresAt: string }> {
    const s = await this.session(sessionId)
    this.requireSteps(s, ['renew'], { phone: false, medium: true })
    const { serial, certDer } = await this.ownedCert(s, serialHex, ca)
    const notAfter = new Date(new X509Certificate(certDer).validTo).getTime()
    const now = this.ms()
    if (now > notAfter || now < notAfter - this.renewalWindowDays * 86_400_000) {
      await this.audit('customer', 'renewal.authorize', 'fail', { customerId: str(s.customer_id), sessionId }, { serialHex: serial, reason: 'renewal-window' })
      throw new CertError('CONFLICT', `renewal is possible only in the ${this.renewalWindowDays} days before expiry`, { reason: 'renewal-window', notAfter: new Date(notAfter).toISOString() })
    }
    const expiresAt = now + LIMITS.renewalAuthSeconds * 1000
    await this.run(
      `INSERT INTO ra_renewals (serial_hex, customer_id, authorized_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (serial_hex) DO UPDATE SET customer_id = excluded.customer_id, authorized_at = excluded.authorized_at, expires_at = excluded.expires_at, used_at = NULL`,
      [serial, str(s.customer_id), now, expiresAt],
    )
    await this.audit('customer', 'renewal.authorize', 'ok', { customerId: str(s.customer_id), sessionId }, { serialHex: serial })
    return { serialHex: serial, expiresAt: new Date(expiresAt).toISOString() }
  }

  async revoke(sessionId: string, serialHex: string, reason: unknown, ca: RaCaPort): Promise<{ serialHex: string }> {
    const code = revocationReason(reason ?? 0)
    const s = await this.session(sessionId)
    this.requireSteps(s, ['revoke'], { phone: true, medium: true })
    const { serial } = await this.ownedCert(s, serialHex, ca)
    await ca.revokeSerial(serial, code)
    await this.audit('customer', 'cert.revoke', 'ok', { customerId: str(s.customer_id), sessionId }, { serialHex: serial, reason: code })
    return { serialHex: serial }
  }

  /** Random bytes the customer signs with the certificate to be registered. */
  async registerChallenge(sessionId: string): Promise<{ challenge: string; expiresAt: string }> {
    const s = await this.session(sessionId)
    this.requireSteps(s, ['register'], { phone: true, medium: true })
    const challenge = randomBytes(32).toString('base64')
    const expiresAt = this.ms() + LIMITS.registerChallengeSeconds * 1000
    await this.run('UPDATE ra_sessions SET register_challenge = ?, register_challenge_expires_at = ? WHERE id = ?', [challenge, expiresAt, sessionId])
    return { challenge, expiresAt: new Date(expiresAt).toISOString() }
  }

  /**
   * Links another CA's certificate to the customer after proving possession (signature over our
   * challenge) and identity (the VID in the certificate matches our resident number + randomNum).
   */
  async registerForeignCert(sessionId: string, input: { certDer: Uint8Array; signature: Uint8Array; randomNum: Uint8Array }): Promise<{ subject: string; issuer: string; serialHex: string; notAfter: string }> {
    const s = await this.session(sessionId, 'foreign.register')
    this.requireSteps(s, ['register'], { phone: true, medium: true })
    const customerId = str(s.customer_id)
    const challenge = s.register_challenge !== null && num(s.register_challenge_expires_at) > this.ms() ? Buffer.from(str(s.register_challenge), 'base64') : undefined
    // The challenge is single use whatever the outcome; the attempt count locks the session.
    const rs = await this.db.execute({
      sql: `UPDATE ra_sessions SET register_challenge = NULL, register_attempts = register_attempts + 1,
              locked_at = CASE WHEN register_attempts + 1 >= ? THEN ? ELSE locked_at END
            WHERE id = ? AND locked_at IS NULL RETURNING register_attempts`,
      args: [LIMITS.registerAttempts, this.ms(), sessionId],
    })
    if (rs.rows.length === 0) {
      await this.audit('customer', 'foreign.register', 'locked', { customerId, sessionId })
      throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
    }
    const attempts = num(rs.rows[0]?.register_attempts)
    const remaining = Math.max(0, LIMITS.registerAttempts - attempts)
    const fail = async (reason: string, err: CertError): Promise<never> => {
      await this.audit('customer', 'foreign.register', remaining === 0 ? 'locked' : 'fail', { customerId, sessionId }, { reason, remaining })
      throw err
    }
    if (!challenge) return fail('challenge', new CertError('CONFLICT', 'ask for a new signing challenge first', { reason: 'challenge' }))
    let x509: X509Certificate
    try {
      x509 = new X509Certificate(input.certDer)
    } catch {
      return fail('damaged', new CertError('DAMAGED', 'the certificate cannot be parsed'))
    }
    const now = this.ms()
    const notAfter = new Date(x509.validTo).getTime()
    // Five minutes of grace for a certificate issued moments ago by a CA whose clock runs ahead.
    if (now > notAfter || now + 300_000 < new Date(x509.validFrom).getTime()) return fail('expired', new CertError('CONFLICT', 'the certificate is not valid now', { reason: 'expired' }))
    if (!checkSignature(input.certDer, registrationSignedData(challenge), input.signature)) {
      return fail('signature', new CertError('FORBIDDEN', 'the signature does not match the certificate', { reason: 'signature', remaining }))
    }
    const customer = await this.getCustomer(customerId)
    let vidOk: boolean
    try {
      vidOk = checkVid(input.certDer, customer!.idn, input.randomNum)
    } catch (err) {
      if (err instanceof CertError) return fail(String(err.params?.reason ?? 'vid'), err)
      throw err
    }
    if (!vidOk) return fail('vid', new CertError('FORBIDDEN', 'the certificate does not belong to this customer (identity check failed)', { reason: 'vid', remaining }))
    const serial = normalizeSerial(x509.serialNumber)
    const existing = await this.one('SELECT customer_id FROM foreign_certs WHERE issuer = ? AND serial_hex = ?', [x509.issuer, serial])
    if (existing && str(existing.customer_id) !== customerId) return fail('already-registered', new CertError('CONFLICT', 'the certificate is registered to another customer', { reason: 'already-registered' }))
    if (!existing) {
      await this.run('INSERT INTO foreign_certs (customer_id, issuer, serial_hex, subject, not_after, cert_der, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        customerId,
        x509.issuer,
        serial,
        x509.subject,
        notAfter,
        input.certDer,
        now,
      ])
    }
    await this.run('UPDATE ra_sessions SET register_attempts = 0 WHERE id = ?', [sessionId])
    await this.audit('customer', 'foreign.register', 'ok', { customerId, sessionId }, { serialHex: serial })
    return { subject: x509.subject, issuer: x509.issuer, serialHex: serial, notAfter: new Date(notAfter).toISOString() }
  }

  async foreignCerts(customerId: string): Promise<{ issuer: string; serialHex: string; subject: string; notAfter: string }[]> {
    const rs = await this.db.execute({ sql: 'SELECT issuer, serial_hex, subject, not_after FROM foreign_certs WHERE customer_id = ? ORDER BY id', args: [customerId] })
    return rs.rows.map((r) => ({ issuer: str(r.issuer), serialHex: str(r.serial_hex), subject: str(r.subject), notAfter: new Date(num(r.not_after)).toISOString() }))
  }

  // ---- misc ----------------------------------------------------------------------------

  outbox(limit = 20): Promise<OutboxEntry[]> {
    return readOutbox(this.db, limit)
  }

  info(): { name: string; fees: RaFees; renewalWindowDays: number; media: Medium[] } {
    return { name: this.name, fees: { ...this.fees }, renewalWindowDays: this.renewalWindowDays, media: ['card', 'otp'] }
  }

  /** Session state for the UI (which steps are done); never secrets. */
  async sessionState(sessionId: string): Promise<{ purpose: SessionPurpose; phoneVerified: boolean; mediumVerified: boolean; expiresAt: string }> {
    const s = await this.session(sessionId)
    return { purpose: str(s.purpose) as SessionPurpose, phoneVerified: !!num(s.phone_verified), mediumVerified: !!num(s.medium_verified), expiresAt: new Date(num(s.expires_at)).toISOString() }
  }
}
