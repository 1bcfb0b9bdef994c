import { createHash, timingSafeEqual, verify as cryptoVerify, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509'
import { CertError } from '../../shared/errors'

/** KISA identifyData otherName in subjectAltName, and the VID entry inside it. */
export const OID_IDENTIFY_DATA = '1.2.410.200004.10.1.1'
export const OID_VID = '1.2.410.200004.10.1.1.1'

const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}

interface Tlv {
  tag: number
  value: Uint8Array
  end: number
}

function readTlv(buf: Uint8Array, pos: number): Tlv {
  const tag = buf[pos]
  let len = buf[pos + 1]
  if (tag === undefined || len === undefined) throw new Error('truncated')
  let p = pos + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3) throw new Error('bad length')
    len = 0
    for (let i = 0; i < n; i++) {
      const b = buf[p++]
      if (b === undefined) throw new Error('truncated')
      len = (len << 8) | b
    }
  }
  if (p + len > buf.length) throw new Error('truncated')
  return { tag, value: buf.subarray(p, p + len), end: p + len }
}

function children(buf: Uint8Array): Tlv[] {
  const out: Tlv[] = []
  let pos = 0
  while (pos < buf.length) {
    const t = readTlv(buf, pos)
    out.push(t)
    pos = t.end
  }
  return out
}

function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = []
  let v = 0
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f)
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

export interface IdentifyData {
  realName: string
  hash: string
  virtualId: Uint8Array
}

/** Reads the identifyData otherName from a certificate; undefined when the cert has none. */
export function readIdentifyData(certDer: Uint8Array): IdentifyData | undefined {
  let cert: Certificate
  try {
    cert = AsnConvert.parse(certDer, Certificate)
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be parsed')
  }
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectAltName)
  if (!ext) return undefined
  let san: SubjectAlternativeName
  try {
    san = AsnConvert.parse(ext.extnValue.buffer, SubjectAlternativeName)
  } catch {
    throw new CertError('DAMAGED', 'the certificate subjectAltName cannot be parsed')
  }
  for (const gn of san) {
    if (gn.otherName?.typeId !== OID_IDENTIFY_DATA) continue
    try {
      let inner: Uint8Array = new Uint8Array(gn.otherName.value)
      let top = readTlv(inner, 0)
      // Some decoders hand over the [0] wrapper, some its content.
      if (top.tag === 0xa0) {
        inner = top.value
        top = readTlv(inner, 0)
      }
      if (top.tag !== 0x30) return undefined
      const [nameTlv, infos] = children(top.value)
      if (!nameTlv || !infos || infos.tag !== 0x30) return undefined
      const realName = new TextDecoder().decode(nameTlv.value)
      for (const info of children(infos.value)) {
        const [type, value] = children(info.value)
        if (!type || type.tag !== 0x06 || decodeOid(type.value) !== OID_VID || !value) continue
        const [alg, vidWrap] = children(value.value)
        if (!alg || !vidWrap || vidWrap.tag !== 0xa0) continue
        const algOid = children(alg.value)[0]
        const hash = algOid && algOid.tag === 0x06 ? HASH_BY_OID[decodeOid(algOid.value)] : undefined
        const vidOctets = readTlv(vidWrap.value, 0)
        if (!hash || vidOctets.tag !== 0x04) continue
        return { realName, hash, virtualId: vidOctets.value }
      }
    } catch {
      throw new CertError('DAMAGED', 'the identity data in the certificate cannot be parsed')
    }
  }
  return undefined
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n)
  if (n < 0x100) return Uint8Array.of(0x81, n)
  return Uint8Array.of(0x82, n >> 8, n & 0xff)
}

function der(tag: number, body: Uint8Array): Uint8Array {
  const len = derLength(body.length)
  const out = new Uint8Array(1 + len.length + body.length)
  out[0] = tag
  out.set(len, 1)
  out.set(body, 1 + len.length)
  return out
}

/** VID = H(H(DER(SEQUENCE { idn PrintableString, randomNum BIT STRING }))). */
export function computeVid(idn: string, randomNum: Uint8Array, hash = 'sha256'): Uint8Array {
  const idnDer = der(0x13, new TextEncoder().encode(idn))
  const bits = new Uint8Array(randomNum.length + 1)
  bits.set(randomNum, 1)
  const seq = der(0x30, Uint8Array.from([...idnDer, ...der(0x03, bits)]))
  const once = createHash(hash).update(seq).digest()
  return new Uint8Array(createHash(hash).update(once).digest())
}

/** True when the certificate's VID was made from this resident number and randomNum. */
export function checkVid(certDer: Uint8Array, idn: string, randomNum: Uint8Array): boolean {
  const data = readIdentifyData(certDer)
  if (!data) throw new CertError('UNSUPPORTED', 'the certificate carries no identity data (VID)', { reason: 'no-vid' })
  const vid = computeVid(idn, randomNum, data.hash)
  return vid.length === data.virtualId.length && timingSafeEqual(vid, data.virtualId)
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
