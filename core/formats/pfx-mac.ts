import { createHmac, timingSafeEqual } from 'node:crypto'
import { DIGEST_BY_OID, HASH_OUT, damaged, iterationCount, octetString, oidOf, seqOf, unsupported, wrongPassword, type HashName, type Tlv } from './pfx-asn1'
import type { KdfSession } from './pfx-kdf-pool'

// The integrity MAC of a password-protected PFX (RFC 7292 appendix B and section 5.1).

export async function verifyMac(macData: Tlv, authSafe: Uint8Array, candidates: Uint8Array[], kdf: KdfSession): Promise<{ alg: HashName; bmp: Uint8Array }> {
  const [digestInfo, saltT, iterT] = seqOf(macData, 'bad MAC data')
  const [algT, macT] = seqOf(digestInfo, 'bad MAC data')
  const [algOid] = seqOf(algT, 'bad MAC algorithm')
  const alg = DIGEST_BY_OID[oidOf(algOid, 'bad MAC algorithm')]
  if (!alg) unsupported('MAC algorithm')
  const expected = octetString(macT, 'bad MAC')
  const salt = octetString(saltT, 'bad MAC salt')
  const iterations = iterT ? iterationCount(iterT) : 1
  if (expected.length !== HASH_OUT[alg]) damaged('bad MAC length')
  // Every password form is charged up front: a count too high for the file's budget fails now.
  const keys = candidates.map((pw) => kdf.pkcs12(alg, pw, salt, 3, iterations, HASH_OUT[alg]))
  for (const p of keys) p.catch(() => undefined)
  for (const [i, pw] of candidates.entries()) {
    const key = await keys[i]!
    const mac = createHmac(alg, key).update(authSafe).digest()
    if (timingSafeEqual(mac, expected)) return { alg, bmp: pw }
  }
  wrongPassword()
}
