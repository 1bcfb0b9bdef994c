import { OID } from '../../shared/der/oids'
import { children, content, element, readOid, readTlv, readUint, type Tlv } from '../../shared/der/reader'
import { CertError } from '../../shared/errors'
import { MAX_PFX_ITERATIONS } from './pfx-limits'

// The encoding seam of the PFX code: hash tables, error helpers and the few PFX-specific reads
// on top of the shared DER reader (in its BER mode: Java and some Windows tools still write
// indefinite lengths and constructed strings) and the shared DER writer.

export { OID }
export { children, content, readOctets as octets, readOctetString as octetString, type Tlv } from '../../shared/der/reader'

export const DIGEST_BY_OID: Record<string, HashName> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
}
export const HMAC_BY_OID: Record<string, HashName> = {
  [OID.hmacWithSHA1]: 'sha1',
  [OID.hmacWithSHA224]: 'sha224',
  [OID.hmacWithSHA256]: 'sha256',
  [OID.hmacWithSHA384]: 'sha384',
  [OID.hmacWithSHA512]: 'sha512',
}

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'
export const HASH_OUT: Record<HashName, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 }
export const HASH_BLOCK: Record<HashName, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 }

export function damaged(what: string): never {
  throw new CertError('DAMAGED', `the PFX file is damaged or not a PFX (${what})`)
}
export function wrongPassword(): never {
  throw new CertError('WRONG_PASSWORD', 'the PFX password is wrong')
}
export function unsupported(what: string): never {
  throw new CertError('UNSUPPORTED', `the PFX uses an unsupported feature (${what})`)
}

// ---------------------------------------------------------------------------------------------
// Reading: the shared reader in BER mode; `what` names the structure in the error.

/** The element at the start of `buf` (BER; bytes after it are not looked at). */
export function parseTop(buf: Uint8Array): Tlv {
  return readTlv(buf, 0, buf.length, 'ber')
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) damaged(what)
  return t
}

export function seqOf(t: Tlv | undefined, what: string): Tlv[] {
  return children(expectTag(t, 0x30, what))
}

/** The whole element, header included. */
export const raw = element

export function oidOf(t: Tlv | undefined, what: string): string {
  if (!t || t.tag !== 0x06) damaged(what)
  return readOid(t)
}

/** A non-negative INTEGER small enough for a JS number. */
export function smallInt(t: Tlv | undefined, what: string): number {
  return readUint(expectTag(t, 0x02, what))
}

export function iterationCount(t: Tlv | undefined): number {
  if (!t || t.tag !== 0x02) damaged('bad iteration count')
  const b = content(t)
  if (b.length === 0 || (b[0]! & 0x80) !== 0) damaged('bad iteration count')
  let v = 0
  for (const x of b) {
    v = v * 256 + x
    if (v > MAX_PFX_ITERATIONS) {
      throw new CertError('UNSUPPORTED', `the PFX file asks for more than ${MAX_PFX_ITERATIONS.toLocaleString('en-US')} iterations per key derivation (the limit)`, {
        reason: 'pfx-iteration-limit',
        limit: MAX_PFX_ITERATIONS,
      })
    }
  }
  if (v < 1) damaged('bad iteration count')
  return v
}
