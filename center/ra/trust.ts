import { createHash, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, id_ce_keyUsage, KeyUsage, type KeyUsageType } from '@peculiar/asn1-x509'
import { CertError } from '../../shared/errors'
import type { ReasonOf } from '../../shared/reasons'
import { num, str, type RaContext } from './ra-context'

// The trust list for 타기관 인증서 등록: the certificates of the other CAs (yessign, KICA, ...)
// whose certificates customers may register. The operator maintains it with
// `certmgr center trust add|list|remove`; a certificate whose issuer is not on it is refused.

export interface TrustedCa {
  fingerprint: string
  subject: string
  notAfter: string
}

/** Key usages of a certificate, or undefined when it has no keyUsage extension (any use allowed). */
function keyUsages(der: Uint8Array): KeyUsageType[] | undefined {
  let cert: Certificate
  try {
    cert = AsnConvert.parse(der, Certificate)
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be parsed')
  }
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_keyUsage)
  return ext ? AsnConvert.parse(ext.extnValue.buffer, KeyUsage).toJSON() : undefined
}

function parse(der: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(der)
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be parsed')
  }
}

/** Only a valid CA certificate that may sign certificates goes on the list. */
export async function addTrustedCa(ctx: RaContext, der: Uint8Array): Promise<TrustedCa> {
  const x = parse(der)
  if (!x.ca) throw new CertError('BAD_REQUEST', 'this is not a CA certificate (basicConstraints CA is not set)', { reason: 'not-ca' })
  const usages = keyUsages(der)
  if (usages && !usages.includes('keyCertSign')) throw new CertError('BAD_REQUEST', 'the CA certificate may not sign certificates (keyUsage lacks keyCertSign)', { reason: 'ca-key-usage' })
  const notAfter = new Date(x.validTo).getTime()
  if (notAfter <= ctx.ms()) throw new CertError('BAD_REQUEST', 'the CA certificate has expired', { reason: 'ca-expired' })
  const fingerprint = createHash('sha256').update(der).digest('hex')
  await ctx.run(
    `INSERT INTO ra_trusted_cas (fingerprint, subject, not_after, cert_der, added_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (fingerprint) DO NOTHING`,
    [fingerprint, x.subject, notAfter, der, ctx.ms()],
  )
  await ctx.audit('operator', 'trust.add', 'ok', {}, { fingerprint, subject: x.subject })
  return { fingerprint, subject: x.subject, notAfter: new Date(notAfter).toISOString() }
}

export async function listTrustedCas(ctx: RaContext): Promise<TrustedCa[]> {
  const rs = await ctx.db.execute('SELECT fingerprint, subject, not_after FROM ra_trusted_cas ORDER BY subject, fingerprint')
  return rs.rows.map((r) => ({ fingerprint: str(r.fingerprint), subject: str(r.subject), notAfter: new Date(num(r.not_after)).toISOString() }))
}

/** Removes by SHA-256 fingerprint (hex, colons allowed); NOT_FOUND when none matched. */
export async function removeTrustedCa(ctx: RaContext, fingerprint: string): Promise<void> {
  const fp = fingerprint.replace(/:/g, '').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(fp)) throw new CertError('BAD_REQUEST', 'the fingerprint must be 64 hexadecimal digits (SHA-256)', { reason: 'fingerprint' })
  const n = await ctx.run('DELETE FROM ra_trusted_cas WHERE fingerprint = ?', [fp])
  if (n === 0) throw new CertError('NOT_FOUND', 'no trusted CA has this fingerprint', { reason: 'fingerprint' })
  await ctx.audit('operator', 'trust.remove', 'ok', {}, { fingerprint: fp })
}

function refuse(message: string, reason: ReasonOf<'FORBIDDEN'>): CertError {
  return new CertError('FORBIDDEN', message, { reason })
}

/**
 * Checks that a certificate to be registered was issued by a CA on the trust list (or by this
 * center's own CA): the issuer's signature on it verifies, the issuer is a CA valid now that may
 * sign certificates, and the certificate itself is an end-entity certificate for signing.
 * Throws FORBIDDEN with the reason otherwise.
 */
export async function checkForeignIssuer(ctx: RaContext, certDer: Uint8Array, x: X509Certificate, ownCaDer?: Uint8Array): Promise<void> {
  if (x.ca) throw refuse('a CA certificate cannot be registered as a customer certificate', 'foreign-not-end-entity')
  const usages = keyUsages(certDer)
  if (usages && !usages.includes('digitalSignature') && !usages.includes('nonRepudiation')) {
    throw refuse('the certificate is not meant for signatures (keyUsage)', 'foreign-key-usage')
  }
  const rs = await ctx.db.execute({ sql: 'SELECT cert_der FROM ra_trusted_cas WHERE subject = ?', args: [x.issuer] })
  const candidates: Uint8Array[] = rs.rows.map((r) => new Uint8Array(r.cert_der as ArrayBuffer))
  if (ownCaDer && ownCaDer.length > 0) candidates.push(ownCaDer)
  const now = ctx.ms()
  let expiredIssuer = false
  let unfitIssuer = false
  for (const der of candidates) {
    let ca: X509Certificate
    try {
      ca = new X509Certificate(der)
    } catch {
      continue
    }
    if (ca.subject !== x.issuer || !x.verify(ca.publicKey)) continue
    if (!ca.ca || (keyUsages(der) ?? ['keyCertSign']).indexOf('keyCertSign') < 0) {
      unfitIssuer = true
      continue
    }
    if (now > new Date(ca.validTo).getTime() || now < new Date(ca.validFrom).getTime()) {
      expiredIssuer = true
      continue
    }
    return
  }
  if (expiredIssuer) throw refuse("the issuing CA's certificate is not valid now", 'foreign-issuer-expired')
  if (unfitIssuer) throw refuse('the issuing CA may not sign certificates', 'foreign-issuer-key-usage')
  throw refuse('the certificate was not issued by a certification authority this center trusts', 'untrusted-issuer')
}
