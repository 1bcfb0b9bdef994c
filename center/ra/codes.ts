import { randomInt } from 'node:crypto'
import type { InStatement, ResultSet } from '@libsql/client'
import { BatchGuardError, type GuardedStatement } from '../batch-guard'
import { CertError } from '../../shared/errors'
import { CERT_TYPES } from '../../shared/ra/api'
import type { CertType } from '../ca/facade'
import { accounts, type Customer } from './customers'
import { bad, LIMITS, num, str, type Actor, type EnrollmentPurpose, type RaCaPort, type RaContext } from './ra-context'
import { requireSteps, session } from './sessions'

export interface EnrollmentCodes {
  reference: string
  authCode: string
  expiresAt: string
  feeKrw: number
}

const AUTH_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
/** The schema's list (shared/ra/api.ts), widened for checking a string from elsewhere. */
const KNOWN_CERT_TYPES: readonly string[] = CERT_TYPES

// Fees and the one-time enrollment codes (reference number + authorization code) the CA's CMP
// server consumes.

/** The customer's first account, the one fees are taken from and refunded to. */
const FIRST_ACCOUNT = 'SELECT number FROM ra_accounts WHERE customer_id = ? ORDER BY created_at, number LIMIT 1'

/**
 * A fee as statements, for a batch that commits it with what it pays for (an issuance): the
 * debit is one conditional UPDATE (guard 'balance': no account, or too little on it), so it
 * needs no center-wide lock; the ledger row reads the balance the debit left, which no one else
 * can change before this commit. After a 'balance' guard failed, `chargeRefused` gives the error.
 */
export function chargeStatements(ctx: RaContext, customerId: string, amountKrw: number, memo: string): Array<InStatement | GuardedStatement> {
  if (!Number.isSafeInteger(amountKrw) || amountKrw < 0) throw bad('amount', 'the amount must be a whole number of won, 0 or more')
  return [
    { sql: `UPDATE ra_accounts SET balance_krw = balance_krw - ? WHERE number = (${FIRST_ACCOUNT}) AND balance_krw >= ?`, args: [amountKrw, customerId, amountKrw], guard: 'balance' },
    {
      sql: `INSERT INTO ra_ledger (account, customer_id, amount_krw, balance_after_krw, memo, at)
            SELECT number, customer_id, ?, balance_krw, ?, ? FROM ra_accounts WHERE number = (${FIRST_ACCOUNT})`,
      args: [-amountKrw, memo.slice(0, 200), ctx.ms(), customerId],
    },
    ctx.auditStatement('ca', 'account.charge', 'ok', { customerId }, { amountKrw }),
  ]
}

/** Why chargeStatements' guard failed (no account, or the balance is short), audited, as the error to throw. */
export async function chargeRefused(ctx: RaContext, customerId: string, amountKrw: number): Promise<CertError> {
  const acc = await ctx.one('SELECT balance_krw FROM ra_accounts WHERE customer_id = ? ORDER BY created_at, number LIMIT 1', [customerId])
  const err = !acc
    ? new CertError('NOT_FOUND', 'the customer has no account', { reason: 'account' })
    : new CertError('CENTER', 'the account balance is too low to pay the certificate fee', { reason: 'balance', requiredKrw: amountKrw, balanceKrw: num(acc.balance_krw) })
  await ctx.audit('ca', 'account.charge', 'fail', { customerId }, { amountKrw, reason: String(err.params?.reason) })
  return err
}

/** Debits the customer's first account; atomic, refuses (and leaves the balance) when short. */
export async function charge(ctx: RaContext, customerId: string, amountKrw: number, memo: string): Promise<void> {
  const stmts = chargeStatements(ctx, customerId, amountKrw, memo)
  try {
    await ctx.db.batch(stmts, 'deferred')
  } catch (err) {
    if (err instanceof BatchGuardError) throw await chargeRefused(ctx, customerId, amountKrw)
    await ctx.audit('ca', 'account.charge', 'fail', { customerId }, { amountKrw, reason: err instanceof CertError ? String(err.params?.reason ?? err.code) : 'error' })
    throw err
  }
}

/** Credits a fee back to the account it was taken from (a certificate rejected at certConf was never delivered). */
export async function refund(ctx: RaContext, customerId: string, amountKrw: number, memo: string): Promise<void> {
  if (!Number.isSafeInteger(amountKrw) || amountKrw <= 0) return
  await ctx.tx(async (tx) => {
    const rs = await tx.execute({ sql: 'SELECT number, balance_krw FROM ra_accounts WHERE customer_id = ? ORDER BY created_at, number LIMIT 1', args: [customerId] })
    const acc = rs.rows[0]
    if (!acc) return
    const balance = num(acc.balance_krw)
    await tx.execute({ sql: 'UPDATE ra_accounts SET balance_krw = balance_krw + ? WHERE number = ?', args: [amountKrw, str(acc.number)] })
    await tx.execute({
      sql: 'INSERT INTO ra_ledger (account, customer_id, amount_krw, balance_after_krw, memo, at) VALUES (?, ?, ?, ?, ?, ?)',
      args: [str(acc.number), customerId, amountKrw, balance + amountKrw, memo.slice(0, 200), ctx.ms()],
    })
  })
  await ctx.audit('ca', 'account.refund', 'ok', { customerId }, { amountKrw })
}

/** A fresh reference number / authorization code pair; earlier unused pairs of that type die. */
export async function createEnrollmentCodes(ctx: RaContext, customerId: string, certType: CertType, purpose: EnrollmentPurpose, actor: Actor = 'operator', ttlSeconds = ctx.codeTtlSeconds): Promise<EnrollmentCodes> {
  if (!KNOWN_CERT_TYPES.includes(certType)) throw bad('certType', "the certificate type must be 'limited' or 'general'")
  if (purpose !== 'issue' && purpose !== 'reissue') throw bad('purpose', "the purpose must be 'issue' or 'reissue'")
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > 30 * 86400) throw bad('ttl', 'the code lifetime must be 60 seconds to 30 days')
  const exists = await ctx.one('SELECT 1 FROM ra_customers WHERE id = ?', [customerId])
  if (!exists) throw new CertError('NOT_FOUND', 'no such customer', { reason: 'customer' })
  const box = await ctx.box()
  const at = ctx.ms()
  const expiresAt = at + ttlSeconds * 1000
  const chars = Array.from({ length: 12 }, () => AUTH_ALPHABET[randomInt(AUTH_ALPHABET.length)]).join('')
  const authCode = `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`
  const reference = await ctx.tx(async (tx) => {
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
  await ctx.audit(actor, 'enrollment.codes', 'ok', { customerId }, { certType, purpose, reference })
  return { reference, authCode, expiresAt: new Date(expiresAt).toISOString(), feeKrw: ctx.fees[certType] }
}

export type Enrollment = { authCode: string; customerId: string; certType: CertType; purpose: EnrollmentPurpose; customer?: Customer }

/**
 * The enrollment lookup as a statement and the reading of its result, so a caller can send it
 * in one round trip with reads of its own (the CMP server reads its source throttle with it).
 * The customer comes along in the same query: the CA needs both for every issuance.
 */
export function enrollmentQuery(ctx: RaContext, reference: string): { statement: InStatement; read(rs: ResultSet): Promise<Enrollment | undefined> } {
  return {
    statement: {
      sql: `SELECT e.auth_code_sealed, e.customer_id, e.cert_type, e.purpose, e.expires_at, e.used_at, e.locked_at, e.revoked_at,
                   c.name, c.idn_sealed, c.phone, c.bank_code
              FROM ra_enrollments e LEFT JOIN ra_customers c ON c.id = e.customer_id WHERE e.reference = ?`,
      args: [reference],
    },
    async read(rs) {
      if (!/^\d{8}$/.test(reference)) {
        await ctx.audit('ca', 'enrollment.lookup', 'fail', {}, { reason: 'malformed' })
        return undefined
      }
      const row = rs.rows[0]
      const reason = !row ? 'unknown' : row.used_at !== null ? 'used' : row.locked_at !== null ? 'locked' : row.revoked_at !== null ? 'replaced' : num(row.expires_at) <= ctx.ms() ? 'expired' : undefined
      if (!row || reason) {
        await ctx.audit('ca', 'enrollment.lookup', reason === 'locked' ? 'locked' : 'fail', { customerId: row ? str(row.customer_id) : undefined }, { reference, reason: reason ?? 'unknown' })
        return undefined
      }
      const box = await ctx.box()
      const authCode = box.open(str(row.auth_code_sealed), `auth:${reference}`)
      const customerId = str(row.customer_id)
      const customer = row.name == null ? undefined : { id: customerId, name: str(row.name), idn: box.open(str(row.idn_sealed), `idn:${customerId}`), phone: str(row.phone), bankCode: str(row.bank_code) }
      return { authCode, customerId, certType: str(row.cert_type) as CertType, purpose: str(row.purpose) as EnrollmentPurpose, customer }
    },
  }
}

export async function lookupEnrollment(ctx: RaContext, reference: string): Promise<Enrollment | undefined> {
  if (!/^\d{8}$/.test(reference)) return enrollmentQuery(ctx, reference).read({ rows: [] } as unknown as ResultSet)
  const q = enrollmentQuery(ctx, reference)
  return q.read(await ctx.db.execute(q.statement))
}

export async function recordEnrollmentFailure(ctx: RaContext, reference: string): Promise<void> {
  const rs = await ctx.db.execute({
    sql: `UPDATE ra_enrollments SET failures = failures + 1,
            locked_at = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_at END
          WHERE reference = ? RETURNING failures, customer_id`,
    args: [LIMITS.enrollmentFailures, ctx.ms(), reference],
  })
  const row = rs.rows[0]
  const failures = row ? num(row.failures) : 0
  await ctx.audit('ca', 'enrollment.mac', failures >= LIMITS.enrollmentFailures ? 'locked' : 'fail', { customerId: row ? str(row.customer_id) : undefined }, { reference, failures })
}

/**
 * The claim on a reference as statements, for a batch that commits it with the issuance it
 * allows: the conditional UPDATE is the one atomic claim (guard 'reference': already used, so
 * two requests racing in different processes cannot both issue), and its audit row commits
 * with it. After the guard failed, `enrollmentClaimRefused` audits the refusal.
 */
export function consumeEnrollmentStatements(ctx: RaContext, reference: string): Array<InStatement | GuardedStatement> {
  const at = ctx.ms()
  return [
    { sql: 'UPDATE ra_enrollments SET used_at = ? WHERE reference = ? AND used_at IS NULL', args: [at, reference], guard: 'reference' },
    {
      sql: `INSERT INTO audit (at, actor, action, outcome, customer_id, session_id, detail)
            SELECT ?, 'ca', 'enrollment.consume', 'ok', customer_id, NULL, ? FROM ra_enrollments WHERE reference = ?`,
      args: [at, JSON.stringify({ reference }), reference],
    },
  ]
}

export async function enrollmentClaimRefused(ctx: RaContext, reference: string): Promise<void> {
  await ctx.audit('ca', 'enrollment.consume', 'fail', {}, { reference })
}

/**
 * Marks the reference used. Returns false when it already was: the update is the one atomic
 * claim on a reference, so two requests racing in different processes cannot both issue.
 */
export async function consumeEnrollment(ctx: RaContext, reference: string): Promise<boolean> {
  try {
    await ctx.db.batch(consumeEnrollmentStatements(ctx, reference), 'deferred')
    return true
  } catch (err) {
    if (!(err instanceof BatchGuardError)) throw err
    await enrollmentClaimRefused(ctx, reference)
    return false
  }
}

/** Undoes consumeEnrollment when the issuance stopped before anything was issued (e.g. the fee could not be paid). */
export async function releaseEnrollment(ctx: RaContext, reference: string): Promise<void> {
  const rs = await ctx.db.execute({ sql: 'UPDATE ra_enrollments SET used_at = NULL WHERE reference = ? AND used_at IS NOT NULL RETURNING customer_id', args: [reference] })
  const row = rs.rows[0]
  if (row) await ctx.audit('ca', 'enrollment.release', 'ok', { customerId: str(row.customer_id) }, { reference })
}

/**
 * The authorization code of a reference whose ir opened a transaction, to check and MAC that
 * transaction's certConf. It is read from the sealed row rather than kept in memory, so any
 * process of the center can answer the certConf.
 */
export async function enrollmentSecret(ctx: RaContext, reference: string): Promise<string | undefined> {
  if (!/^\d{8}$/.test(reference)) return undefined
  const row = await ctx.one('SELECT auth_code_sealed FROM ra_enrollments WHERE reference = ?', [reference])
  return row ? (await ctx.box()).open(str(row.auth_code_sealed), `auth:${reference}`) : undefined
}

/** Reference number and authorization code after the identity checks (issue or reissue). */
export async function sessionCodes(ctx: RaContext, sessionId: string, certType: CertType, ca: RaCaPort): Promise<EnrollmentCodes> {
  if (!KNOWN_CERT_TYPES.includes(certType)) throw bad('certType', "the certificate type must be 'limited' or 'general'")
  const s = await session(ctx, sessionId)
  requireSteps(s, ['issue', 'reissue'], { phone: true, medium: true })
  const customerId = str(s.customer_id)
  const purpose = str(s.purpose) as EnrollmentPurpose
  if (purpose === 'issue' && (await ca.findActiveCert(customerId, certType))) {
    await ctx.audit('customer', 'enrollment.codes', 'fail', { customerId, sessionId }, { certType, reason: 'already-issued' })
    throw new CertError('CONFLICT', 'the customer already has a valid certificate of this type; use reissue or renewal', { reason: 'already-issued' })
  }
  const fee = ctx.fees[certType]
  if (fee > 0) {
    const acc = (await accounts(ctx, customerId))[0]
    if (!acc || acc.balanceKrw < fee) {
      await ctx.audit('customer', 'enrollment.codes', 'fail', { customerId, sessionId }, { certType, reason: 'balance' })
      throw new CertError('CENTER', 'the account balance is too low to pay the certificate fee', { reason: 'balance', requiredKrw: fee, balanceKrw: acc?.balanceKrw ?? 0 })
    }
  }
  return createEnrollmentCodes(ctx, customerId, certType, purpose, 'customer')
}
