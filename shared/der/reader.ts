import { CertError } from '../errors'

/**
 * The one DER reader (formats, certificates, the CA and CMP all read through it).
 *
 * Strict DER by default: single-byte tags, definite lengths in their shortest form, every
 * element inside its parent. The BER mode (PFX files from Java and older Windows tools) also
 * takes indefinite lengths (nested at most MAX_BER_DEPTH deep) and non-minimal length octets.
 * Any malformation raises DerError, a CertError with code DAMAGED, never a RangeError or a
 * TypeError, so callers map it to a one-line message or fall back to another parser.
 *
 * Listing a thousand certificates and the center's `ir` path go through `readTlv`, so it stays
 * a small function over plain numbers.
 */
export class DerError extends CertError {
  constructor(what: string) {
    super('DAMAGED', `malformed DER: ${what}`, { reason: 'malformed-der' })
    this.name = 'DerError'
  }
}

export type DerMode = 'der' | 'ber'

export interface Tlv {
  readonly buf: Uint8Array
  /** The identifier octet (class, constructed bit and a tag number below 31). */
  readonly tag: number
  /** Offset of the identifier octet: the whole element is buf[at, end). */
  readonly at: number
  /** Offset of the first content octet. */
  readonly start: number
  /** Offset just past the contents; differs from `end` only for a BER indefinite length. */
  readonly contentEnd: number
  /** Offset just past the element. */
  readonly end: number
  /** Nesting depth below the element the reading began with. */
  readonly depth: number
  readonly mode: DerMode
}

/** Identifier octets the formats name. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  CTX0: 0xa0, // [0] constructed
  CTX1: 0xa1,
  CTX3: 0xa3,
} as const

/** Above this nesting a BER file is refused: bounds the recursion over indefinite lengths. */
export const MAX_BER_DEPTH = 40

export function damaged(what: string): DerError {
  return new DerError(what)
}

/** The element at `at`, which must end by `limit`. */
export function readTlv(buf: Uint8Array, at: number, limit: number = buf.length, mode: DerMode = 'der', depth = 0): Tlv {
  if (at + 2 > limit) throw new DerError('truncated element')
  const tag = buf[at]!
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here')
  let len = buf[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0) {
      if (mode === 'der') throw new DerError('indefinite length')
      return indefinite(buf, tag, at, start, limit, depth)
    }
    if (n > 4) throw new DerError('length too large')
    if (start + n > limit) throw new DerError('truncated length')
    if (mode === 'der' && buf[start] === 0) throw new DerError('non-minimal length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!
    if (mode === 'der' && len < 0x80) throw new DerError('non-minimal length')
    start += n
  }
  const end = start + len
  if (end > limit) throw new DerError('element runs past its parent')
  return { buf, tag, at, start, contentEnd: end, end, depth, mode }
}

function indefinite(buf: Uint8Array, tag: number, at: number, start: number, limit: number, depth: number): Tlv {
  if ((tag & 0x20) === 0) throw new DerError('indefinite length on a primitive element')
  if (depth >= MAX_BER_DEPTH) throw new DerError('nesting too deep')
  let p = start
  for (;;) {
    if (p + 2 > limit) throw new DerError('truncated element')
    if (buf[p] === 0 && buf[p + 1] === 0) break
    p = readTlv(buf, p, limit, 'ber', depth + 1).end
  }
  return { buf, tag, at, start, contentEnd: p, end: p + 2, depth, mode: 'ber' }
}

/** Exactly one element spanning the whole buffer, with `tag` when one is named. */
export function readRoot(buf: Uint8Array, tag?: number, mode: DerMode = 'der'): Tlv {
  const t = readTlv(buf, 0, buf.length, mode)
  if (t.end !== buf.length) throw new DerError('trailing bytes after the top-level element')
  if (tag !== undefined && t.tag !== tag) throw new DerError('unexpected top-level tag')
  return t
}

/** The element inside `parent`'s contents at offset `at` (keeps the parent's mode and depth). */
export function readChild(parent: Tlv, at: number): Tlv {
  if (parent.depth >= MAX_BER_DEPTH) throw new DerError('nesting too deep')
  return readTlv(parent.buf, at, parent.contentEnd, parent.mode, parent.depth + 1)
}

export function isConstructed(t: Tlv): boolean {
  return (t.tag & 0x20) !== 0
}

/** The children of a constructed element, in order. */
export function children(t: Tlv): Tlv[] {
  if ((t.tag & 0x20) === 0) throw new DerError('expected a constructed element')
  const out: Tlv[] = []
  let p = t.start
  while (p < t.contentEnd) {
    const c = readChild(t, p)
    out.push(c)
    p = c.end
  }
  return out
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected ${what}`)
  return t
}

/** The contents (no tag, no length). */
export function content(t: Tlv): Uint8Array {
  return t.buf.subarray(t.start, t.contentEnd)
}

/** The whole encoding of the element, header included. */
export function element(t: Tlv): Uint8Array {
  return t.buf.subarray(t.at, t.end)
}

/** A copy of the contents as an ArrayBuffer of its own (what schema objects hold). */
export function contentBuffer(t: Tlv): ArrayBuffer {
  return t.buf.slice(t.start, t.contentEnd).buffer
}

/** A copy of the whole element as an ArrayBuffer of its own. */
export function elementBuffer(t: Tlv): ArrayBuffer {
  return t.buf.slice(t.at, t.end).buffer
}

/**
 * The element re-tagged as a SEQUENCE: the DER of an IMPLICIT [n] SEQUENCE field as it is
 * signed or MACed.
 */
export function asSequence(t: Tlv): Uint8Array {
  const out = t.buf.slice(t.at, t.end)
  out[0] = 0x30
  return out
}

/** Walks the elements inside one constructed element, in order. */
export class DerCursor {
  private pos: number

  constructor(readonly parent: Tlv) {
    if ((parent.tag & 0x20) === 0) throw new DerError('expected a constructed element')
    this.pos = parent.start
  }

  get done(): boolean {
    return this.pos >= this.parent.contentEnd
  }

  /** The tag of the next element (undefined at the end). */
  peek(): number | undefined {
    return this.done ? undefined : this.parent.buf[this.pos]
  }

  /** The next element, which must carry `tag` when one is given. */
  next(tag?: number): Tlv {
    const t = readChild(this.parent, this.pos)
    if (tag !== undefined && t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`)
    this.pos = t.end
    return t
  }

  /** The next element when it carries `tag`, otherwise nothing (and the cursor stays). */
  optional(tag: number): Tlv | undefined {
    if (this.done || this.parent.buf[this.pos] !== tag) return undefined
    return this.next(tag)
  }

  /** Throws unless every element has been read. */
  finish(): void {
    if (this.pos !== this.parent.contentEnd) throw new DerError('unexpected element')
  }
}

export const inside = (t: Tlv): DerCursor => new DerCursor(t)

/** The only element inside an explicit tag (or a wrapper), with `tag` when one is named. */
export function single(t: Tlv, tag?: number): Tlv {
  const c = inside(t)
  const e = c.next(tag)
  c.finish()
  return e
}

// ---- primitive values ----

/** OIDs longer than this are refused (the longest real ones, 2.25.<UUID>, take 20 bytes). */
const MAX_OID_BYTES = 128

/** Dotted OBJECT IDENTIFIER; minimal sub-identifiers only, arcs of any size. */
export function readOid(t: Tlv): string {
  if (t.tag !== 0x06) throw new DerError('expected an OBJECT IDENTIFIER')
  const { buf, start, end } = t
  if (end === start) throw new DerError('empty OBJECT IDENTIFIER')
  if (end - start > MAX_OID_BYTES) throw new DerError('OBJECT IDENTIFIER too long')
  if (buf[end - 1]! & 0x80) throw new DerError('truncated OBJECT IDENTIFIER')
  let out = ''
  let v = 0
  let big: bigint | undefined
  let fresh = true
  for (let i = start; i < end; i++) {
    const b = buf[i]!
    if (fresh && b === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc')
    // Arcs beyond 2^53 (UUID arcs under 2.25) continue as a bigint.
    if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f)
    else if (v >= 2 ** 45) big = (BigInt(v) << 7n) | BigInt(b & 0x7f)
    else v = v * 128 + (b & 0x7f)
    fresh = (b & 0x80) === 0
    if (fresh) {
      if (out === '') {
        if (big !== undefined) out = `2.${big - 80n}`
        else {
          const first = v < 40 ? 0 : v < 80 ? 1 : 2
          out = `${first}.${v - first * 40}`
        }
      } else out += `.${big ?? v}`
      v = 0
      big = undefined
    }
  }
  return out
}

/**
 * A signed INTEGER as a number: minimal two's complement, at most `maxBytes` (up to 6) content
 * bytes.
 */
export function readInt(t: Tlv, maxBytes = 6): number {
  if (t.tag !== 0x02) throw new DerError('expected an INTEGER')
  const { buf, start, end } = t
  const n = end - start
  if (n < 1) throw new DerError('empty INTEGER')
  if (n > Math.min(maxBytes, 6)) throw new DerError('INTEGER too large')
  const first = buf[start]!
  if (n > 1 && ((first === 0 && buf[start + 1]! < 0x80) || (first === 0xff && buf[start + 1]! >= 0x80))) throw new DerError('non-minimal INTEGER')
  let v = 0
  for (let i = start; i < end; i++) v = v * 256 + buf[i]!
  if (first & 0x80) v -= 2 ** (8 * n)
  return v
}

/**
 * A non-negative INTEGER up to `max` (a safe integer), for counts and versions in key files.
 * Leading zero octets are tolerated: key files from older NPKI software carry them, and the
 * value is unambiguous. Stops reading as soon as the value passes `max`.
 */
export function readUint(t: Tlv, max = Number.MAX_SAFE_INTEGER): number {
  if (t.tag !== 0x02) throw new DerError('expected an INTEGER')
  const { buf, start, end } = t
  if (end === start) throw new DerError('empty INTEGER')
  if (buf[start]! & 0x80) throw new DerError('negative INTEGER')
  let v = 0
  for (let i = start; i < end; i++) {
    v = v * 256 + buf[i]!
    if (v > max) throw new DerError('INTEGER too large')
  }
  return v
}

/** The contents of an OCTET STRING (or an implicitly tagged one); BER's constructed pieces joined. */
export function readOctets(t: Tlv): Uint8Array {
  if ((t.tag & 0x20) === 0) return content(t)
  if (t.mode === 'der') throw new DerError('constructed string')
  const parts = children(t).map((c) => {
    if (c.tag !== 0x04 && c.tag !== 0x24) throw new DerError('bad string segment')
    return readOctets(c)
  })
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** An OCTET STRING's contents (tag 0x04, or 0x24 in BER). */
export function readOctetString(t: Tlv | undefined, what: string): Uint8Array {
  if (!t || (t.tag !== 0x04 && t.tag !== 0x24)) throw new DerError(`expected ${what}`)
  return readOctets(t)
}

/** A BIT STRING as its unused-bit count and its bytes. */
export function readBitString(t: Tlv): { unused: number; bytes: Uint8Array } {
  if (t.tag !== 0x03) throw new DerError('expected a BIT STRING')
  if (t.end === t.start) throw new DerError('empty BIT STRING')
  const unused = t.buf[t.start]!
  if (unused > 7 || (unused > 0 && t.end - t.start === 1)) throw new DerError('bad BIT STRING')
  return { unused, bytes: t.buf.subarray(t.start + 1, t.end) }
}

const utf8 = new TextDecoder('utf-8', { fatal: false })
const utf16be = new TextDecoder('utf-16be', { fatal: false })

/** The directory string types certificates use. */
export function readString(t: Tlv): string {
  const bytes = content(t)
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
      throw new DerError(`unexpected string type 0x${t.tag.toString(16)}`)
  }
}

/** UTCTime or GeneralizedTime to a Date (whole seconds; fractions accepted and dropped). */
export function readTime(t: Tlv): Date {
  const s = utf8.decode(content(t))
  let m: RegExpMatchArray | null
  if (t.tag === 0x17) {
    m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/)
    if (!m) throw new DerError('bad UTCTime')
    const yy = Number(m[1])
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
  }
  if (t.tag === 0x18) {
    m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/)
    if (!m) throw new DerError('bad GeneralizedTime')
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
  }
  throw new DerError('expected a time')
}

/** The BMPString (UTF-16BE) a PKCS#12 friendlyName holds. */
export function readBmp(t: Tlv): string {
  return utf16be.decode(content(t))
}
