import { CertError } from '../../shared/errors'

/**
 * A small strict DER reader/writer for the few NPKI structures that must be read byte-exactly
 * (encrypted key files, PKCS#8 attributes, the identifyData otherName). Every malformed input
 * raises CertError DAMAGED, never a RangeError or TypeError, so callers can map it cleanly.
 */

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  SEQUENCE: 0x30,
  SET: 0x31,
  CTX0: 0xa0, // [0] constructed
  CTX3: 0xa3, // [3] constructed
} as const

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number
  /** Offset of the identifier octet in `buf`. */
  start: number
  /** Offset of the first content octet. */
  contentStart: number
  /** Offset just past the element. */
  end: number
  buf: Uint8Array
}

export function damaged(what: string): CertError {
  return new CertError('DAMAGED', `malformed DER: ${what}`)
}

/** Reads one element at `offset`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw damaged('truncated header')
  const tag = buf[offset] as number
  if ((tag & 0x1f) === 0x1f) throw damaged('high tag numbers are not used here')
  let p = offset + 1
  const first = buf[p++] as number
  let len: number
  if (first < 0x80) {
    len = first
  } else {
    const n = first & 0x7f
    if (n === 0) throw damaged('indefinite length')
    if (n > 4) throw damaged('length too large')
    if (p + n > limit) throw damaged('truncated length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] as number)
  }
  const end = p + len
  if (end > limit) throw damaged('element runs past its parent')
  return { tag, start: offset, contentStart: p, end, buf }
}

/** Reads exactly one element spanning the whole buffer. */
export function readRoot(buf: Uint8Array, expectTag?: number): Tlv {
  const t = readTlv(buf, 0, buf.length)
  if (t.end !== buf.length) throw damaged('trailing bytes after the top-level element')
  if (expectTag !== undefined && t.tag !== expectTag) throw damaged('unexpected top-level tag')
  return t
}

export function content(t: Tlv): Uint8Array {
  return t.buf.subarray(t.contentStart, t.end)
}

/** The whole encoding of the element, header included. */
export function encoding(t: Tlv): Uint8Array {
  return t.buf.subarray(t.start, t.end)
}

export function children(t: Tlv): Tlv[] {
  if ((t.tag & 0x20) === 0) throw damaged('expected a constructed element')
  const out: Tlv[] = []
  let p = t.contentStart
  while (p < t.end) {
    const c = readTlv(t.buf, p, t.end)
    out.push(c)
    p = c.end
  }
  return out
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw damaged(`expected ${what}`)
  return t
}

/** A non-negative INTEGER that fits in a safe JavaScript number. */
export function readSmallUint(t: Tlv): number {
  expectTag(t, TAG.INTEGER, 'INTEGER')
  const c = content(t)
  if (c.length === 0) throw damaged('empty INTEGER')
  if (((c[0] as number) & 0x80) !== 0) throw damaged('negative INTEGER')
  let v = 0
  for (const b of c) {
    v = v * 256 + b
    if (v > Number.MAX_SAFE_INTEGER) throw damaged('INTEGER too large')
  }
  return v
}

export function readOid(t: Tlv): string {
  expectTag(t, TAG.OID, 'OBJECT IDENTIFIER')
  const c = content(t)
  if (c.length === 0) throw damaged('empty OBJECT IDENTIFIER')
  const arcs: number[] = []
  let v = 0
  let started = false
  for (let i = 0; i < c.length; i++) {
    const b = c[i] as number
    if (!started && b === 0x80) throw damaged('non-minimal OBJECT IDENTIFIER arc')
    started = true
    v = v * 128 + (b & 0x7f)
    if (v > Number.MAX_SAFE_INTEGER) throw damaged('OBJECT IDENTIFIER arc too large')
    if ((b & 0x80) === 0) {
      arcs.push(v)
      v = 0
      started = false
    }
  }
  if (started) throw damaged('truncated OBJECT IDENTIFIER')
  const first = arcs[0] as number
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
  return [...head, ...arcs.slice(1)].join('.')
}

// ---- encoding ----

export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n)
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Uint8Array.from([0x80 | bytes.length, ...bytes])
}

export function concat(parts: Uint8Array[]): Uint8Array {
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

export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(parts)
  return concat([Uint8Array.of(tag), encodeLength(body.length), body])
}

export function encodeUint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new CertError('BAD_REQUEST', 'INTEGER out of range')
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  if (bytes.length === 0 || ((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0)
  return tlv(TAG.INTEGER, Uint8Array.from(bytes))
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => Number(s))
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new CertError('BAD_REQUEST', `bad OID ${oid}`)
  const out: number[] = []
  const push = (v: number): void => {
    const tmp = [v & 0x7f]
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift((v & 0x7f) | 0x80)
    out.push(...tmp)
  }
  push((arcs[0] as number) * 40 + (arcs[1] as number))
  for (const a of arcs.slice(2)) push(a)
  return tlv(TAG.OID, Uint8Array.from(out))
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
