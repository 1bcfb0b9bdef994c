import { randomBytes } from 'node:crypto'
import { explicit, NULL, octetString, oid, sequence, tlv, uint } from '../../shared/der/writer'

// Crafted PFX files for the hostile-PFX finding (2): valid structure, ruinous parameters. The
// encrypted payloads are random bytes: a reader must refuse before it ever gets to decrypt.
const OID = {
  data: '1.2.840.113549.1.7.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
}

/** One shrouded key bag encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) at `iterations`. */
function keyBag(iterations: number): Uint8Array {
  const alg = sequence(
    oid(OID.pbes2),
    sequence(sequence(oid(OID.pbkdf2), sequence(octetString(randomBytes(16)), uint(iterations), sequence(oid(OID.hmacWithSha256), NULL))), sequence(oid(OID.aes256cbc), octetString(randomBytes(16)))),
  )
  return sequence(oid(OID.shroudedKeyBag), explicit(0, sequence(alg, octetString(randomBytes(1232)))))
}

/** A PFX whose one data safe holds `bags` key bags, and (when `macIterations`) a SHA-1 MAC. */
export function hostilePfx(opts: { bags: number; bagIterations: number; macIterations?: number }): Uint8Array {
  const safe = sequence(...Array.from({ length: opts.bags }, () => keyBag(opts.bagIterations)))
  const authSafe = sequence(sequence(oid(OID.data), explicit(0, octetString(safe))))
  const mac =
    opts.macIterations === undefined ? [] : [sequence(sequence(sequence(oid(OID.sha1), NULL), octetString(randomBytes(20))), octetString(randomBytes(8)), uint(opts.macIterations))]
  return sequence(uint(3), sequence(oid(OID.data), explicit(0, octetString(authSafe))), ...mac)
}

/** A file just over the size limit whose first bytes look like a PFX. */
export function oversizedPfx(limit: number): Uint8Array {
  const filler = new Uint8Array(limit + 1024)
  return tlv(0x30, uint(3), tlv(0x04, filler))
}
