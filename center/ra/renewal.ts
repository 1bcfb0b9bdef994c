import { X509Certificate } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { LIMITS, normalizeSerial, str, type RaCaPort, type RaContext } from './ra-context'
import { ownedCert, requireSteps, session } from './sessions'

// Renewal authorizations: granted after the RA's checks, consumed by the CA on kur.

/** Allows one kur for this certificate during the next minutes. */
export async function authorizeRenewal(ctx: RaContext, sessionId: string, serialHex: string, ca: RaCaPort): Promise<{ serialHex: string; expiresAt: string }> {
  const s = await session(ctx, sessionId)
  requireSteps(s, ['renew'], { phone: false, medium: true })
  const { serial, certDer } = await ownedCert(ctx, s, serialHex, ca)
  const notAfter = new Date(new X509Certificate(certDer).validTo).getTime()
  const now = ctx.ms()
  if (now > notAfter || now < notAfter - ctx.renewalWindowDays * 86_400_000) {
    await ctx.audit('customer', 'renewal.authorize', 'fail', { customerId: str(s.customer_id), sessionId }, { serialHex: serial, reason: 'renewal-window' })
    throw new CertError('CONFLICT', `renewal is possible only in the ${ctx.renewalWindowDays} days before expiry`, { reason: 'renewal-window', notAfter: new Date(notAfter).toISOString() })
  }
  const expiresAt = now + LIMITS.renewalAuthSeconds * 1000
  await ctx.run(
    `INSERT INTO ra_renewals (serial_hex, customer_id, authorized_at, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (serial_hex) DO UPDATE SET customer_id = excluded.customer_id, authorized_at = excluded.authorized_at, expires_at = excluded.expires_at, used_at = NULL`,
    [serial, str(s.customer_id), now, expiresAt],
  )
  await ctx.audit('customer', 'renewal.authorize', 'ok', { customerId: str(s.customer_id), sessionId }, { serialHex: serial })
  return { serialHex: serial, expiresAt: new Date(expiresAt).toISOString() }
}

export async function isRenewalAuthorized(ctx: RaContext, serialHex: string): Promise<boolean> {
  let serial: string
  try {
    serial = normalizeSerial(serialHex)
  } catch {
    return false
  }
  const row = await ctx.one('SELECT 1 FROM ra_renewals WHERE serial_hex = ? AND used_at IS NULL AND expires_at > ?', [serial, ctx.ms()])
  return row !== undefined
}

export async function consumeRenewalAuthorization(ctx: RaContext, serialHex: string): Promise<void> {
  const serial = normalizeSerial(serialHex)
  const rs = await ctx.db.execute({ sql: 'UPDATE ra_renewals SET used_at = ? WHERE serial_hex = ? AND used_at IS NULL RETURNING customer_id', args: [ctx.ms(), serial] })
  const row = rs.rows[0]
  await ctx.audit('ca', 'renewal.consume', row ? 'ok' : 'fail', { customerId: row ? str(row.customer_id) : undefined }, { serialHex: serial })
}

/** Undoes consumeRenewalAuthorization when the renewed certificate was rejected at certConf (the client could not store it). */
export async function restoreRenewalAuthorization(ctx: RaContext, serialHex: string): Promise<void> {
  const serial = normalizeSerial(serialHex)
  const rs = await ctx.db.execute({ sql: 'UPDATE ra_renewals SET used_at = NULL WHERE serial_hex = ? AND used_at IS NOT NULL RETURNING customer_id', args: [serial] })
  const row = rs.rows[0]
  if (row) await ctx.audit('ca', 'renewal.restore', 'ok', { customerId: str(row.customer_id) }, { serialHex: serial })
}
