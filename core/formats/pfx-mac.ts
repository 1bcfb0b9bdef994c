import { createHmac, timingSafeEqual } from 'node:crypto'
import { DIGEST_BY_OID, HASH_OUT, damaged, iterationCount, octetString, oidOf, seqOf, unsupported, wrongPassword, type HashName, type Tlv } from './pfx-asn1'
import { pkcs12Kdf } from './pfx-kdf'

// The integrity MAC of a password-protected PFX (RFC 7292 appendix B and section 5.1).

export function verifyMac(macData: Tlv, authSafe: Uint8Array, candidates: Uint8Array[]): { alg: HashName; bmp: Uint8Array } {
  const [digestInfo, saltT, iterT] = seqOf(macData, 'bad MAC data')
  const [algT, macT] = seqOf(digestInfo, 'bad MAC data')
  const [algOid] = seqOf(algT, 'bad MAC algorithm')
  const alg = DIGEST_BY_OID[oidOf(algOid, 'bad MAC algorithm')]
  if (!alg) unsupported('MAC algorithm')
  const expected = octetString(macT, 'bad MAC')
  const salt = octetString(saltT, 'bad MAC salt')
  const iterations = iterT ? iterationCount(iterT) : 1
  if (expected.length !== HASH_OUT[alg]) damaged('bad MAC length')
  for (const pw of candidates) {
    const key = pkcs12Kdf(alg, pw, salt, 3, iterations, HASH_OUT[alg])
    const mac = createHmac(alg, key).update(authSafe).digest()
    if (timingSafeEqual(mac, expected)) return { alg, bmp: pw }
  }
  wrongPassword()
}
