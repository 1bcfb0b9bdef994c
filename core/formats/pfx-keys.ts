import { X509Certificate, createPublicKey, createPrivateKey, type KeyObject } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { concat, sequence, setOf, uint } from '../../shared/der/writer'
import { OID, children, oidOf, parseTop, raw } from './pfx-asn1'

// The private key inside a PFX: its PKCS#8 forms and whether it belongs to a certificate.

/** PKCS#8 without attributes (and as v1), the form every crypto library accepts. */
export function bareKey(pkcs8: Uint8Array): Uint8Array {
  const [, alg, key] = children(parseTop(pkcs8))
  return sequence(uint(0), raw(alg!), raw(key!))
}

export function hasRandomNum(pkcs8: Uint8Array): boolean {
  const attrs = children(parseTop(pkcs8)).find((c) => c.tag === 0xa0)
  if (!attrs) return false
  return children(attrs).some((a) => a.tag === 0x30 && oidOf(children(a)[0], 'bad key attribute') === OID.randomNum)
}

/** Moves a randomNum found as a bag attribute into the PKCS#8 [0] attributes, where NPKI keeps it. */
export function withRandomNum(pkcs8: Uint8Array, attr: Uint8Array): Uint8Array {
  const parts = children(parseTop(pkcs8))
  const [ver, alg, key] = parts
  const attrsT = parts.find((c) => c.tag === 0xa0)
  const existing = attrsT ? children(attrsT).map(raw) : []
  const sortedSet = setOf(...existing, attr)
  const rest = parts.filter((c) => c.at > key!.at && c.tag !== 0xa0).map(raw)
  return sequence(raw(ver!), raw(alg!), raw(key!), concat([Uint8Array.of(0xa0), sortedSet.subarray(1)]), ...rest)
}

export function privateKeyObject(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(bareKey(pkcs8)), format: 'der', type: 'pkcs8' })
  } catch (e) {
    if (e instanceof CertError) throw e
    throw new CertError('DAMAGED', 'the private key cannot be read')
  }
}

export function certificateKey(certDer: Uint8Array): KeyObject {
  try {
    return new X509Certificate(certDer).publicKey
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be read')
  }
}

export function keyMatches(priv: KeyObject, certDer: Uint8Array): boolean {
  return createPublicKey(priv).equals(certificateKey(certDer))
}
