import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { OID } from '../../shared/cmp/asn1'

/** Signature algorithms accepted for message protection and POPO: OID → node hash name (null for EdDSA). */
const SIG_HASH: Record<string, string | null> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  [OID.ecdsaWithSHA256]: 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
}

export function isSignatureAlgorithm(oid: string): boolean {
  return oid in SIG_HASH
}

export function spkiKey(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' })
}

/** True when `sig` verifies; false for unknown algorithms, key/algorithm mismatches or malformed input. */
export function verifySignature(algOid: string, key: KeyObject, data: Uint8Array, sig: Uint8Array): boolean {
  const hash = SIG_HASH[algOid]
  if (hash === undefined) return false
  const type = key.asymmetricKeyType
  const isRsa = algOid.startsWith('1.2.840.113549.1.1.')
  const isEc = algOid.startsWith('1.2.840.10045.4.3.')
  if ((isRsa && type !== 'rsa') || (isEc && type !== 'ec') || (hash === null && type !== 'ed25519')) return false
  try {
    return cryptoVerify(hash, data, key, sig)
  } catch {
    return false
  }
}

/** Keys we certify: RSA of at least 2048 bits, EC P-256/P-384, Ed25519. */
export function acceptableKey(key: KeyObject): boolean {
  const d = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') return (d?.modulusLength ?? 0) >= 2048
  if (key.asymmetricKeyType === 'ec') return d?.namedCurve === 'prime256v1' || d?.namedCurve === 'secp384r1'
  return key.asymmetricKeyType === 'ed25519'
}
