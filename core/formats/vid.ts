import { createHash, timingSafeEqual } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { OID } from '../../shared/der/oids'
import { children, content, expectTag, readOid, readRoot, TAG, type Tlv } from '../../shared/der/reader'
import * as der from '../../shared/der/writer'

/**
 * VID (virtual ID, 본인확인): the certificate's subjectAltName carries an otherName
 * identifyData (1.2.410.200004.10.1.1) holding H(H(DER(SEQUENCE { idn, randomNum }))); with
 * the randomNum from the private key and the resident number typed by the user we can prove
 * the certificate belongs to that person (NPKI.md §3).
 */

/** A key without randomNum: its owner cannot be checked by VID (one error for every caller). */
export function noRandomNum(): CertError<'UNSUPPORTED'> {
  return new CertError('UNSUPPORTED', 'the private key has no randomNum attribute, so identity cannot be checked', { reason: 'no-randomnum' })
}

export type VidHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'

const HASH_OIDS: Record<string, VidHash> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
}
const HASH_TO_OID = Object.fromEntries(Object.entries(HASH_OIDS).map(([oid, h]) => [h, oid])) as Record<VidHash, string>

export interface IdentifyData {
  realName: string
  vid: Uint8Array
  /** Node hash name when known ('sha256'), otherwise the dotted OID. */
  hashAlg: string
  hashOid: string
}

export type VidResult = 'match' | 'mismatch' | 'no-vid'

/** Strips hyphens and spaces; the result must be 13 digits (resident registration number). */
export function normalizeIdn(idn: string): string {
  const digits = idn.replace(/[-\s]/g, '')
  if (!/^\d{13}$/.test(digits)) throw new CertError('BAD_REQUEST', 'the identity number must be 13 digits (hyphen allowed)')
  return digits
}

function findExtension(certDer: Uint8Array, oid: string): Uint8Array | undefined {
  const [tbs] = children(readRoot(certDer, TAG.SEQUENCE))
  const fields = children(expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate'))
  const extsWrapper = fields.find((f) => f.tag === TAG.CTX3)
  if (!extsWrapper) return undefined
  const [exts] = children(extsWrapper)
  for (const ext of children(expectTag(exts, TAG.SEQUENCE, 'extensions'))) {
    const parts = children(expectTag(ext, TAG.SEQUENCE, 'extension'))
    if (readOid(expectTag(parts[0], TAG.OID, 'extension id')) !== oid) continue
    const value = parts[parts.length - 1]
    return content(expectTag(value, TAG.OCTET_STRING, 'extension value'))
  }
  return undefined
}

function parseIdentifyData(value: Tlv): IdentifyData | undefined {
  const [nameT, vids] = children(expectTag(value, TAG.SEQUENCE, 'identifyData'))
  const realName = new TextDecoder('utf-8', { fatal: true }).decode(content(expectTag(nameT, TAG.UTF8_STRING, 'realName')))
  if (!vids) return undefined
  for (const entry of children(expectTag(vids, TAG.SEQUENCE, 'VID list'))) {
    const [type, v] = children(expectTag(entry, TAG.SEQUENCE, 'VID entry'))
    if (readOid(expectTag(type, TAG.OID, 'VID type')) !== OID.vid) continue
    const [alg, vidWrapper] = children(expectTag(v, TAG.SEQUENCE, 'VID value'))
    const [algOid] = children(expectTag(alg, TAG.SEQUENCE, 'VID hash algorithm'))
    const hashOid = readOid(expectTag(algOid, TAG.OID, 'VID hash OID'))
    const [vidOctets] = children(expectTag(vidWrapper, TAG.CTX0, 'virtualID'))
    const vid = content(expectTag(vidOctets, TAG.OCTET_STRING, 'virtualID OCTET STRING')).slice()
    return { realName, vid, hashAlg: HASH_OIDS[hashOid] ?? hashOid, hashOid }
  }
  return undefined
}

/**
 * Reads identifyData from a certificate. Undefined when the certificate has no VID; throws
 * CertError DAMAGED when the certificate or the VID structure is malformed.
 */
export function readIdentifyData(certDer: Uint8Array): IdentifyData | undefined {
  const san = findExtension(certDer, OID.subjectAltName)
  if (!san) return undefined
  for (const gn of children(readRoot(san, TAG.SEQUENCE))) {
    if (gn.tag !== TAG.CTX0) continue // otherName is [0]; other GeneralName kinds are not ours
    const [typeId, value] = children(gn)
    if (readOid(expectTag(typeId, TAG.OID, 'otherName type')) !== OID.identifyData) continue
    const [inner] = children(expectTag(value, TAG.CTX0, 'otherName value'))
    return parseIdentifyData(expectTag(inner, TAG.SEQUENCE, 'identifyData'))
  }
  return undefined
}

function hashName(hash: string): VidHash {
  const h = hash.toLowerCase().replace('-', '') as VidHash
  if (!(h in HASH_TO_OID)) throw new CertError('UNSUPPORTED', `unsupported VID hash ${hash}`, { hash })
  return h
}

/** VID = H(H(DER(SEQUENCE { idn PrintableString, randomNum BIT STRING }))). `idn` is used as given. */
export function computeVid(idn: string, randomNum: Uint8Array, hash: string = 'sha256'): Uint8Array {
  const h = hashName(hash)
  if (!/^[0-9]+$/.test(idn)) throw new CertError('BAD_REQUEST', 'the identity number must be digits only')
  const input = der.tlv(TAG.SEQUENCE, der.tlv(TAG.PRINTABLE_STRING, new TextEncoder().encode(idn)), der.tlv(TAG.BIT_STRING, Uint8Array.of(0), randomNum))
  const once = createHash(h).update(input).digest()
  return new Uint8Array(createHash(h).update(once).digest())
}

/** Checks a resident number against the certificate's VID. Hyphens in `idn` are ignored. */
export function verifyVid(certDer: Uint8Array, randomNum: Uint8Array, idn: string): VidResult {
  const data = readIdentifyData(certDer)
  if (!data) return 'no-vid'
  const computed = computeVid(normalizeIdn(idn), randomNum, data.hashAlg)
  if (computed.length !== data.vid.length) return 'mismatch'
  return timingSafeEqual(computed, data.vid) ? 'match' : 'mismatch'
}

/**
 * The DER of the identifyData otherName value (the SEQUENCE inside `[0] EXPLICIT`), for a
 * certification center that embeds a VID: SEQUENCE { realName, SEQUENCE { SEQUENCE { vidOid,
 * SEQUENCE { hashAlg, [0] EXPLICIT OCTET STRING vid } } } }.
 */
export function buildIdentifyDataSan(realName: string, idn: string, randomNum: Uint8Array, hash: string = 'sha256'): Uint8Array {
  const h = hashName(hash)
  const vid = computeVid(normalizeIdn(idn), randomNum, h)
  const hashAlg = der.tlv(TAG.SEQUENCE, der.oid(HASH_TO_OID[h]))
  const vidValue = der.tlv(TAG.SEQUENCE, hashAlg, der.tlv(TAG.CTX0, der.tlv(TAG.OCTET_STRING, vid)))
  const vidEntry = der.tlv(TAG.SEQUENCE, der.oid(OID.vid), vidValue)
  return der.tlv(TAG.SEQUENCE, der.tlv(TAG.UTF8_STRING, new TextEncoder().encode(realName)), der.tlv(TAG.SEQUENCE, vidEntry))
}

/** The whole subjectAltName extension value (GeneralNames with the identifyData otherName). */
export function buildIdentifyDataSubjectAltName(realName: string, idn: string, randomNum: Uint8Array, hash: string = 'sha256'): Uint8Array {
  const otherName = der.tlv(TAG.CTX0, der.oid(OID.identifyData), der.tlv(TAG.CTX0, buildIdentifyDataSan(realName, idn, randomNum, hash)))
  return der.tlv(TAG.SEQUENCE, otherName)
}
