import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import type { Row } from '@libsql/client'
import { CertError } from '../../shared/errors'
import { cardChallenge, checkCardResponse, type SecurityCard } from './card'
import { mediumRow } from './customers'
import { bad, digits, LIMITS, normalizeSerial, num, sameText, str, type Medium, type RaCaPort, type RaContext, type SessionPurpose } from './ra-context'
import { verifyTotp } from './totp'
import { IDENTITY_THROTTLE, SourceThrottle } from '../source-throttle'

const PURPOSES: readonly string[] = ['issue', 'reissue', 'renew', 'revoke', 'register']

// The customer-facing verification session: identity, phone code, security card or OTP.

/**
 * Identity check (name + resident number + account). A mismatch answers the same whatever part
 * was wrong and whether anyone with that number exists, and it counts against the caller's
 * network source, never against a customer: someone who knows only an account number can
 * neither learn that it is ours nor lock its owner out. A source over its allowance waits.
 */
export async function openSession(
  ctx: RaContext,
  input: { name?: string; idn?: string; account: string; purpose: SessionPurpose; serialHex?: string },
  source = 'local',
  ca?: Pick<RaCaPort, 'certBySerial'>,
): Promise<{ sessionId: string; medium: Medium }> {
  if (!PURPOSES.includes(input.purpose)) throw bad('purpose', 'unknown purpose')
  const serial = input.serialHex !== undefined ? normalizeSerial(input.serialHex) : null
  // 갱신 names its customer by the certificate (issued here, to one customer) and the account,
  // as a bank's renewal does: the certificate's own key signs the renewal request, so the name
  // and resident number add nothing the certificate does not already prove.
  const byCert = input.purpose === 'renew' && serial !== null && ca !== undefined && !input.name && !input.idn
  if (typeof input.account !== 'string' || (!byCert && (typeof input.name !== 'string' || typeof input.idn !== 'string'))) {
    throw bad('identity', 'name, resident number and account number are required')
  }
  const throttle = new SourceThrottle(ctx.db, 'identity', IDENTITY_THROTTLE, () => ctx.ms())
  try {
    await throttle.check(source)
  } catch (err) {
    await ctx.audit('customer', 'session.open', 'locked', {}, { purpose: input.purpose, reason: 'slow-down' })
    throw err
  }
  const box = await ctx.box()
  const account = digits(input.account)
  const acc = await ctx.one('SELECT customer_id FROM ra_accounts WHERE number = ?', [account])
  let byIdn: Row | undefined
  let ok: boolean
  if (byCert) {
    const cert = await ca!.certBySerial(serial!)
    byIdn = cert ? await ctx.one('SELECT id, name, medium, identity_locked_at FROM ra_customers WHERE id = ?', [cert.customerId]) : undefined
    ok = byIdn !== undefined && acc !== undefined && str(acc.customer_id) === str(byIdn.id)
  } else {
    byIdn = await ctx.one('SELECT id, name, medium, identity_locked_at FROM ra_customers WHERE idn_mac = ?', [box.mac('idn', digits(input.idn!))])
    ok = byIdn !== undefined && acc !== undefined && str(acc.customer_id) === str(byIdn.id) && sameText(str(byIdn.name), input.name!.trim())
  }
  if (!ok || !byIdn) {
    const remaining = await throttle.fail(source)
    // The audit names whom the try was aimed at, for the operator; the caller learns nothing.
    const target = byIdn ? str(byIdn.id) : acc ? str(acc.customer_id) : undefined
    await ctx.audit('customer', 'session.open', remaining === 0 ? 'locked' : 'fail', { customerId: target }, { purpose: input.purpose, remaining })
    if (remaining === 0) await throttle.check(source)
    throw new CertError('FORBIDDEN', 'the name, resident number or account number does not match our records', { reason: 'identity', remaining })
  }
  const customerId = str(byIdn.id)
  // A lock the bank set (or an older version of the center did) holds until the operator lifts it.
  if (byIdn.identity_locked_at !== null) {
    await ctx.audit('customer', 'session.open', 'locked', { customerId }, { purpose: input.purpose })
    throw new CertError('FORBIDDEN', 'online identity checks are locked for this customer; the bank must unlock them', { reason: 'identity-locked' })
  }
  // Housekeeping: sessions are useless a day after they expired (the audit keeps the history).
  await ctx.run('DELETE FROM ra_sessions WHERE expires_at < ?', [ctx.ms() - 86_400_000])
  const sessionId = randomBytes(24).toString('base64url')
  const at = ctx.ms()
  await ctx.run('INSERT INTO ra_sessions (id, customer_id, purpose, serial_hex, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
    sessionId,
    customerId,
    input.purpose,
    serial,
    at,
    at + LIMITS.sessionTtlSeconds * 1000,
  ])
  await ctx.audit('customer', 'session.open', 'ok', { customerId, sessionId }, { purpose: input.purpose })
  return { sessionId, medium: str(byIdn.medium) as Medium }
}

/** `attempt` names the check being tried, so a try on a locked session is audited too. */
export async function session(ctx: RaContext, sessionId: string, attempt?: string): Promise<Row> {
  const row = typeof sessionId === 'string' && sessionId.length <= 64 ? await ctx.one('SELECT * FROM ra_sessions WHERE id = ?', [sessionId]) : undefined
  if (!row || num(row.expires_at) <= ctx.ms()) throw new CertError('NOT_FOUND', 'the verification session does not exist or has expired', { reason: 'session' })
  if (row.locked_at !== null) {
    if (attempt) await ctx.audit('customer', attempt, 'locked', { customerId: str(row.customer_id), sessionId })
    throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
  }
  return row
}

export async function sendPhoneCode(ctx: RaContext, sessionId: string, channel: 'sms' | 'ars'): Promise<{ expiresAt: string; to: string }> {
  if (channel !== 'sms' && channel !== 'ars') throw bad('channel', "the channel must be 'sms' or 'ars'")
  const s = await session(ctx, sessionId)
  const customerId = str(s.customer_id)
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  const expiresAt = ctx.ms() + LIMITS.phoneCodeTtlSeconds * 1000
  const box = await ctx.box()
  const n = await ctx.run(
    `UPDATE ra_sessions SET phone_sends = phone_sends + 1, phone_code_mac = ?, phone_code_expires_at = ?
     WHERE id = ? AND phone_sends < ? AND phone_verified = 0`,
    [box.mac(`phone:${sessionId}`, code), expiresAt, sessionId, LIMITS.phoneSends],
  )
  if (n === 0) {
    await ctx.audit('customer', 'phone.send', 'fail', { customerId, sessionId }, { channel, reason: s.phone_verified ? 'verified' : 'limit' })
    if (num(s.phone_verified)) throw new CertError('CONFLICT', 'the phone number is already verified', { reason: 'phone-verified' })
    throw new CertError('FORBIDDEN', 'too many codes were sent in this verification session', { reason: 'phone-send-limit' })
  }
  const customer = await ctx.one('SELECT phone FROM ra_customers WHERE id = ?', [customerId])
  const to = str(customer?.phone)
  const minutes = Math.round(LIMITS.phoneCodeTtlSeconds / 60)
  const text =
    channel === 'sms'
      ? `[${ctx.name}] 인증번호 ${code} (${minutes}분 이내 입력)`
      : `[${ctx.name}] ARS 전화 안내: 인증번호는 ${code.split('').join(' ')} 입니다. ${minutes}분 이내에 입력해 주세요.`
  await ctx.messenger.send({ to, channel, text })
  await ctx.audit('customer', 'phone.send', 'ok', { customerId, sessionId }, { channel })
  // Only the last digits, so the UI can say where the code went without showing the number.
  return { expiresAt: new Date(expiresAt).toISOString(), to: `***-****-${to.slice(-4)}` }
}

export async function verifyPhoneCode(ctx: RaContext, sessionId: string, code: string): Promise<void> {
  const s = await session(ctx, sessionId, 'phone.verify')
  const customerId = str(s.customer_id)
  if (s.phone_code_mac === null) throw new CertError('CONFLICT', 'no code was sent yet', { reason: 'phone-code-not-sent' })
  if (num(s.phone_verified)) return
  // Take the attempt first, so parallel guesses cannot exceed the limit.
  const rs = await ctx.db.execute({
    sql: `UPDATE ra_sessions SET phone_failures = phone_failures + 1,
            locked_at = CASE WHEN phone_failures + 1 >= ? THEN ? ELSE locked_at END
          WHERE id = ? AND locked_at IS NULL RETURNING phone_failures`,
    args: [LIMITS.phoneFailures, ctx.ms(), sessionId],
  })
  if (rs.rows.length === 0) {
    await ctx.audit('customer', 'phone.verify', 'locked', { customerId, sessionId })
    throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
  }
  const used: number = num(rs.rows[0]?.phone_failures)
  const expired = num(s.phone_code_expires_at) <= ctx.ms()
  const box = await ctx.box()
  const given = Buffer.from(box.mac(`phone:${sessionId}`, String(code ?? '').trim()))
  const match = !expired && timingSafeEqual(given, Buffer.from(str(s.phone_code_mac)))
  if (match) {
    // Undo only the lock this attempt may have set, not one from another step.
    await ctx.run(
      'UPDATE ra_sessions SET phone_verified = 1, phone_failures = 0, phone_code_mac = NULL, locked_at = CASE WHEN register_attempts >= ? THEN locked_at ELSE NULL END WHERE id = ?',
      [LIMITS.registerAttempts, sessionId],
    )
    await ctx.audit('customer', 'phone.verify', 'ok', { customerId, sessionId })
    return
  }
  const remaining: number = Math.max(0, LIMITS.phoneFailures - used)
  await ctx.audit('customer', 'phone.verify', remaining === 0 ? 'locked' : 'fail', { customerId, sessionId }, { reason: expired ? 'expired' : 'wrong', remaining })
  if (remaining === 0) throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
  if (expired) throw new CertError('FORBIDDEN', 'the code has expired; request a new one', { reason: 'phone-code-expired', remaining })
  throw new CertError('FORBIDDEN', 'the verification code is wrong', { reason: 'phone-code', remaining })
}

export async function mediumChallenge(ctx: RaContext, sessionId: string): Promise<{ medium: 'card'; slots: [number, number] } | { medium: 'otp' }> {
  const s = await session(ctx, sessionId)
  const customerId = str(s.customer_id)
  const m = await mediumRow(ctx, customerId)
  if (m.locked_at !== null) throw new CertError('FORBIDDEN', 'the security medium is locked; the bank must unlock it', { reason: 'medium-locked' })
  if (m.kind === 'otp') return { medium: 'otp' }
  // The same slots until answered correctly: a fresh pair per wrong answer would reveal more of the card.
  if (s.medium_challenge !== null) return { medium: 'card', slots: JSON.parse(str(s.medium_challenge)) as [number, number] }
  const card = JSON.parse((await ctx.box()).open(str(m.secret_sealed), `medium:${customerId}`)) as SecurityCard
  const slots = cardChallenge(card.slots.length)
  await ctx.run('UPDATE ra_sessions SET medium_challenge = ? WHERE id = ?', [JSON.stringify(slots), sessionId])
  return { medium: 'card', slots }
}

export async function verifyMedium(ctx: RaContext, sessionId: string, response: string): Promise<void> {
  const s = await session(ctx, sessionId, 'medium.verify')
  const customerId = str(s.customer_id)
  if (num(s.medium_verified)) return
  const m = await mediumRow(ctx, customerId)
  const kind = str(m.kind) as Medium
  if (kind === 'card' && s.medium_challenge === null) throw new CertError('CONFLICT', 'ask for a security card challenge first', { reason: 'medium-no-challenge' })
  const rs = await ctx.db.execute({
    sql: `UPDATE ra_media SET failures = failures + 1,
            locked_at = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_at END
          WHERE customer_id = ? AND locked_at IS NULL RETURNING failures`,
    args: [LIMITS.mediumFailures, ctx.ms(), customerId],
  })
  if (rs.rows.length === 0) {
    await ctx.audit('customer', 'medium.verify', 'locked', { customerId, sessionId }, { medium: kind })
    throw new CertError('FORBIDDEN', 'the security medium is locked; the bank must unlock it', { reason: 'medium-locked' })
  }
  const used: number = num(rs.rows[0]?.failures)
  const secret = (await ctx.box()).open(str(m.secret_sealed), `medium:${customerId}`)
  const answer = String(response ?? '').trim()
  let ok: boolean
  let step: number | undefined
  if (kind === 'card') {
    ok = checkCardResponse(JSON.parse(secret) as SecurityCard, JSON.parse(str(s.medium_challenge)) as [number, number], answer)
  } else {
    step = verifyTotp(Buffer.from(secret, 'base64'), answer.replace(/\s/g, ''), Math.floor(ctx.ms() / 1000))
    // A code already used (or an older one) is a replay.
    ok = step !== undefined && (m.otp_last_step === null || step > num(m.otp_last_step))
  }
  if (ok) {
    await ctx.run('UPDATE ra_media SET failures = 0, locked_at = NULL, otp_last_step = COALESCE(?, otp_last_step) WHERE customer_id = ?', [step ?? null, customerId])
    await ctx.run('UPDATE ra_sessions SET medium_verified = 1, medium_challenge = NULL WHERE id = ?', [sessionId])
    await ctx.audit('customer', 'medium.verify', 'ok', { customerId, sessionId }, { medium: kind })
    return
  }
  const remaining = Math.max(0, LIMITS.mediumFailures - used)
  await ctx.audit('customer', 'medium.verify', remaining === 0 ? 'locked' : 'fail', { customerId, sessionId }, { medium: kind, remaining })
  if (remaining === 0) throw new CertError('FORBIDDEN', 'the security medium is locked; the bank must unlock it', { reason: 'medium-locked' })
  throw new CertError('FORBIDDEN', kind === 'card' ? 'the security card numbers are wrong' : 'the OTP code is wrong', { reason: 'medium', remaining })
}

export function requireSteps(s: Row, purposes: SessionPurpose[], steps: { phone: boolean; medium: boolean }): void {
  if (!purposes.includes(str(s.purpose) as SessionPurpose)) throw new CertError('CONFLICT', `this verification session was opened for '${str(s.purpose)}'`, { reason: 'purpose' })
  if (steps.phone && !num(s.phone_verified)) throw new CertError('CONFLICT', 'verify the phone number first', { reason: 'phone-not-verified' })
  if (steps.medium && !num(s.medium_verified)) throw new CertError('CONFLICT', 'verify the security card or OTP first', { reason: 'medium-not-verified' })
}

export async function ownedCert(ctx: RaContext, s: Row, serialHex: string, ca: RaCaPort): Promise<{ serial: string; certDer: Uint8Array }> {
  const serial = normalizeSerial(serialHex)
  if (s.serial_hex !== null && str(s.serial_hex) !== serial) throw new CertError('CONFLICT', 'this verification session was opened for another certificate', { reason: 'serial' })
  const cert = await ca.certBySerial(serial)
  if (!cert) throw new CertError('NOT_FOUND', 'no certificate with this serial number was issued here', { reason: 'cert' })
  if (cert.customerId !== str(s.customer_id)) {
    await ctx.audit('customer', 'cert.ownership', 'fail', { customerId: str(s.customer_id), sessionId: str(s.id) }, { serialHex: serial })
    throw new CertError('FORBIDDEN', 'the certificate belongs to another customer', { reason: 'not-owner' })
  }
  if (cert.status === 'revoked') throw new CertError('CONFLICT', 'the certificate is revoked', { reason: 'revoked' })
  if (cert.status !== 'active') throw new CertError('CONFLICT', `the certificate is ${cert.status}`, { reason: cert.status })
  return { serial, certDer: cert.certDer }
}

/** Session state for the UI (which steps are done); never secrets. */
export async function sessionState(ctx: RaContext, sessionId: string): Promise<{ purpose: SessionPurpose; phoneVerified: boolean; mediumVerified: boolean; expiresAt: string }> {
  const s = await session(ctx, sessionId)
  return { purpose: str(s.purpose) as SessionPurpose, phoneVerified: !!num(s.phone_verified), mediumVerified: !!num(s.medium_verified), expiresAt: new Date(num(s.expires_at)).toISOString() }
}
