import { CertError } from '../../shared/errors'

/**
 * A small, strict DER reader. Listing a thousand certificates must stay close to the native
 * X.509 parser's speed, and a general ASN.1 schema library is several times slower; this
 * reader walks only what the list and details views need and fails with a typed error on
 * anything malformed.
 */
export interface Tlv {
  tag: number
  /** Offset of the first value byte. */
  start: number
  /** Offset just past the value. */
  end: number
  /** Offset of the tag byte (start of the whole element). */
  header: number
}

export function damaged(what: string): CertError {
  return new CertError('DAMAGED', `malformed DER: ${what}`)
}

export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw damaged('truncated element')
  const tag = buf[offset]!
  if ((tag & 0x1f) === 0x1f) throw damaged('multi-byte tags are not used in certificates')
  let len = buf[offset + 1]!
  let pos = offset + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0) throw damaged('indefinite length')
    if (n > 4) throw damaged('length too large')
    if (pos + n > limit) throw damaged('truncated length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!
    pos += n
  }
  const end = pos + len
  if (end > limit) throw damaged('element runs past its container')
  return { tag, start: pos, end, header: offset }
}

/** Reads the children of a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw damaged('expected a constructed element')
  const out: Tlv[] = []
  let pos = parent.start
  while (pos < parent.end) {
    const t = readTlv(buf, pos, parent.end)
    out.push(t)
    pos = t.end
  }
  return out
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw damaged(`expected ${what}`)
  return t
}

export function decodeOid(buf: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end <= t.start) throw damaged('expected an OID')
  if (buf[t.end - 1]! & 0x80) throw damaged('truncated OID')
  if (t.end - t.start > 128) throw damaged('OID too long')
  const parts: string[] = []
  // BigInt because UUID-based OIDs (2.25.<128-bit>) have arcs far beyond 2^53.
  let value = 0n
  let first = true
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i]!
    value = (value << 7n) | BigInt(b & 0x7f)
    if (!(b & 0x80)) {
      if (first) {
        const a = value < 40n ? 0n : value < 80n ? 1n : 2n
        parts.push(a.toString(), (value - a * 40n).toString())
        first = false
      } else parts.push(value.toString())
      value = 0n
    }
  }
  return parts.join('.')
}

const utf8 = new TextDecoder('utf-8', { fatal: false })
const utf16be = new TextDecoder('utf-16be', { fatal: false })

/** Decodes the directory string types certificates use. */
export function decodeString(buf: Uint8Array, t: Tlv): string {
  const bytes = buf.subarray(t.start, t.end)
  switch (t.tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return utf8.decode(bytes)
    case 0x14: // TeletexString: in practice Latin-1
      return Array.from(bytes, (b) => String.fromCharCode(b)).join('')
    case 0x1e: // BMPString
      return utf16be.decode(bytes)
    case 0x1c: {
      // UniversalString (UTF-32BE)
      let s = ''
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0)
      return s
    }
    default:
      throw damaged(`unexpected string type 0x${t.tag.toString(16)}`)
  }
}

/** UTCTime or GeneralizedTime to a Date. */
export function decodeTime(buf: Uint8Array, t: Tlv): Date {
  const s = utf8.decode(buf.subarray(t.start, t.end))
  let m: RegExpMatchArray | null
  if (t.tag === 0x17) {
    m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/)
    if (!m) throw damaged('bad UTCTime')
    const yy = Number(m[1])
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
  }
  if (t.tag === 0x18) {
    m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/)
    if (!m) throw damaged('bad GeneralizedTime')
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
  }
  throw damaged('expected a time')
}

export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
