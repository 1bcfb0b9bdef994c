import { verify as cryptoVerify, X509Certificate } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { verifyVid } from '../../core/formats/vid'

// The VID itself (NPKI.md §3) is computed and checked by the formats code the desktop app uses,
// so the center and the client can never disagree on it.
export { computeVid } from '../../core/formats/vid'

/** True when the certificate's VID was made from this resident number and randomNum. */
export function checkVid(certDer: Uint8Array, idn: string, randomNum: Uint8Array): boolean {
  const r = verifyVid(certDer, randomNum, idn)
  if (r === 'no-vid') throw new CertError('UNSUPPORTED', 'the certificate carries no identity data (VID)', { reason: 'no-vid' })
  return r === 'match'
}

/** Checks a signature made with the certificate's key over `data` (RSA PKCS#1 v1.5 or ECDSA, SHA-256). */
export function checkSignature(certDer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(certDer)
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be parsed')
  }
  try {
    return cryptoVerify('sha256', data, x509.publicKey, signature)
  } catch {
    return false
  }
}
