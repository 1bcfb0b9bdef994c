import { randomBytes, X509Certificate } from 'node:crypto'
import { registrationSignedData } from '../../shared/register-challenge'
import { CertError } from '../../shared/errors'
import { getCustomer } from './customers'
import { LIMITS, normalizeSerial, num, str, type RaContext } from './ra-context'
import { requireSteps, session } from './sessions'
import { checkForeignIssuer } from './trust'
import { checkSignature, checkVid } from './vid'

// 타기관 인증서 등록: linking another CA's certificate to a customer.

/** Random bytes the customer signs with the certificate to be registered. */
export async function registerChallenge(ctx: RaContext, sessionId: string): Promise<{ challenge: string; expiresAt: string }> {
  const s = await session(ctx, sessionId)
  requireSteps(s, ['register'], { phone: true, medium: true })
  const challenge = randomBytes(32).toString('base64')
  const expiresAt = ctx.ms() + LIMITS.registerChallengeSeconds * 1000
  await ctx.run('UPDATE ra_sessions SET register_challenge = ?, register_challenge_expires_at = ? WHERE id = ?', [challenge, expiresAt, sessionId])
  return { challenge, expiresAt: new Date(expiresAt).toISOString() }
}

/**
 * Links another CA's certificate to the customer after proving possession (signature over our
 * challenge) and identity (the VID in the certificate matches our resident number + randomNum).
 */
export async function registerForeignCert(
  ctx: RaContext,
  sessionId: string,
  input: { certDer: Uint8Array; signature: Uint8Array; randomNum: Uint8Array },
  /** This center's own CA certificate, trusted beside the operator's list. */
  ownCaDer?: Uint8Array,
): Promise<{ subject: string; issuer: string; serialHex: string; notAfter: string }> {
  const s = await session(ctx, sessionId, 'foreign.register')
  requireSteps(s, ['register'], { phone: true, medium: true })
  const customerId = str(s.customer_id)
  const challenge = s.register_challenge !== null && num(s.register_challenge_expires_at) > ctx.ms() ? Buffer.from(str(s.register_challenge), 'base64') : undefined
  // The challenge is single use whatever the outcome; the attempt count locks the session.
  const rs = await ctx.db.execute({
    sql: `UPDATE ra_sessions SET register_challenge = NULL, register_attempts = register_attempts + 1,
            locked_at = CASE WHEN register_attempts + 1 >= ? THEN ? ELSE locked_at END
          WHERE id = ? AND locked_at IS NULL RETURNING register_attempts`,
    args: [LIMITS.registerAttempts, ctx.ms(), sessionId],
  })
  if (rs.rows.length === 0) {
    await ctx.audit('customer', 'foreign.register', 'locked', { customerId, sessionId })
    throw new CertError('FORBIDDEN', 'the verification session is locked after too many wrong answers', { reason: 'session-locked' })
  }
  const attempts = num(rs.rows[0]?.register_attempts)
  const remaining = Math.max(0, LIMITS.registerAttempts - attempts)
  const fail = async (reason: string, err: CertError): Promise<never> => {
    await ctx.audit('customer', 'foreign.register', remaining === 0 ? 'locked' : 'fail', { customerId, sessionId }, { reason, remaining })
    throw err
  }
  if (!challenge) return fail('challenge', new CertError('CONFLICT', 'ask for a new signing challenge first', { reason: 'challenge' }))
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(input.certDer)
  } catch {
    return fail('damaged', new CertError('DAMAGED', 'the certificate cannot be parsed'))
  }
  const now = ctx.ms()
  const notAfter = new Date(x509.validTo).getTime()
  // Five minutes of grace for a certificate issued moments ago by a CA whose clock runs ahead.
  if (now > notAfter || now + 300_000 < new Date(x509.validFrom).getTime()) return fail('expired', new CertError('CONFLICT', 'the certificate is not valid now', { reason: 'expired' }))
  // Only certificates a trusted CA issued: a self-made one with a real CA's name and serial
  // would otherwise take that certificate's place and lock its real holder out.
  try {
    await checkForeignIssuer(ctx, input.certDer, x509, ownCaDer)
  } catch (err) {
    if (err instanceof CertError) return fail(String(err.params?.reason ?? 'untrusted-issuer'), err)
    throw err
  }
  if (!checkSignature(input.certDer, registrationSignedData(challenge), input.signature)) {
    return fail('signature', new CertError('FORBIDDEN', 'the signature does not match the certificate', { reason: 'signature', remaining }))
  }
  const customer = await getCustomer(ctx, customerId)
  let vidOk: boolean
  try {
    vidOk = checkVid(input.certDer, customer!.idn, input.randomNum)
  } catch (err) {
    if (err instanceof CertError) return fail(String(err.params?.reason ?? 'vid'), err)
    throw err
  }
  if (!vidOk) return fail('vid', new CertError('FORBIDDEN', 'the certificate does not belong to this customer (identity check failed)', { reason: 'vid', remaining }))
  const serial = normalizeSerial(x509.serialNumber)
  const existing = await ctx.one('SELECT customer_id FROM foreign_certs WHERE issuer = ? AND serial_hex = ?', [x509.issuer, serial])
  if (existing && str(existing.customer_id) !== customerId) return fail('already-registered', new CertError('CONFLICT', 'the certificate is registered to another customer', { reason: 'already-registered' }))
  if (!existing) {
    await ctx.run('INSERT INTO foreign_certs (customer_id, issuer, serial_hex, subject, not_after, cert_der, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      customerId,
      x509.issuer,
      serial,
      x509.subject,
      notAfter,
      input.certDer,
      now,
    ])
  }
  await ctx.run('UPDATE ra_sessions SET register_attempts = 0 WHERE id = ?', [sessionId])
  await ctx.audit('customer', 'foreign.register', 'ok', { customerId, sessionId }, { serialHex: serial })
  return { subject: x509.subject, issuer: x509.issuer, serialHex: serial, notAfter: new Date(notAfter).toISOString() }
}

export async function foreignCerts(ctx: RaContext, customerId: string): Promise<{ issuer: string; serialHex: string; subject: string; notAfter: string }[]> {
  const rs = await ctx.db.execute({ sql: 'SELECT issuer, serial_hex, subject, not_after FROM foreign_certs WHERE customer_id = ? ORDER BY id', args: [customerId] })
  return rs.rows.map((r) => ({ issuer: str(r.issuer), serialHex: str(r.serial_hex), subject: str(r.subject), notAfter: new Date(num(r.not_after)).toISOString() }))
}
