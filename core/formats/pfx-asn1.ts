import { CertError } from '../../shared/errors'
import { MAX_PFX_ITERATIONS } from './pfx-limits'

// The encoding seam of the PFX code: object identifiers, error helpers, a BER reader and the
// DER writer the writer needs.

// ---------------------------------------------------------------------------------------------
// Object identifiers

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  randomNum: '1.2.410.200004.10.1.1.3',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
  pbeShaRc4_128: '1.2.840.113549.1.12.1.1',
  pbeShaRc4_40: '1.2.840.113549.1.12.1.2',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  seedCbc: '1.2.410.200004.1.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha1: '1.3.14.3.2.26',
  hmacWithSha256: '1.2.840.113549.2.9',
} as const

export const DIGEST_BY_OID: Record<string, HashName> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}
export const HMAC_BY_OID: Record<string, HashName> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
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
// A small BER reader (DER plus indefinite lengths and constructed strings, which Java and some
// Windows tools still write). Every malformation surfaces as DAMAGED.

export interface Tlv {
  buf: Uint8Array
  tag: number
  cons: boolean
  start: number
  contentStart: number
  contentEnd: number
  end: number
  depth: number
}

export const MAX_DEPTH = 40

export function readTlv(buf: Uint8Array, pos: number, limit: number, depth: number): Tlv {
  if (depth > MAX_DEPTH) damaged('nesting too deep')
  if (pos + 2 > limit) damaged('truncated')
  const tag = buf[pos]!
  if ((tag & 0x1f) === 0x1f) damaged('unexpected tag')
  const cons = (tag & 0x20) !== 0
  let p = pos + 1
  const first = buf[p++]!
  if (first === 0x80) {
    if (!cons) damaged('indefinite primitive')
    const contentStart = p
    for (;;) {
      if (p + 2 > limit) damaged('truncated')
      if (buf[p] === 0 && buf[p + 1] === 0) break
      p = readTlv(buf, p, limit, depth + 1).end
    }
    return { buf, tag, cons, start: pos, contentStart, contentEnd: p, end: p + 2, depth }
  }
  let len = first
  if (first > 0x80) {
    const n = first & 0x7f
    if (n > 4) damaged('length too long')
    if (p + n > limit) damaged('truncated')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!
  }
  if (p + len > limit) damaged('truncated')
  return { buf, tag, cons, start: pos, contentStart: p, contentEnd: p + len, end: p + len, depth }
}

export function parseTop(buf: Uint8Array): Tlv {
  return readTlv(buf, 0, buf.length, 0)
}

export function children(t: Tlv): Tlv[] {
  if (!t.cons) damaged('expected a constructed value')
  const out: Tlv[] = []
  let p = t.contentStart
  while (p < t.contentEnd) {
    const c = readTlv(t.buf, p, t.contentEnd, t.depth + 1)
    out.push(c)
    p = c.end
  }
  return out
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) damaged(what)
  return t
}

export function seqOf(t: Tlv | undefined, what: string): Tlv[] {
  return children(expectTag(t, 0x30, what))
}

export function raw(t: Tlv): Uint8Array {
  return t.buf.subarray(t.start, t.end)
}

export function content(t: Tlv): Uint8Array {
  return t.buf.subarray(t.contentStart, t.contentEnd)
}

/** Contents of an OCTET STRING (or an implicitly tagged one), joining constructed pieces. */
export function octets(t: Tlv): Uint8Array {
  if (!t.cons) return content(t)
  const parts = children(t).map((c) => {
    if (c.tag !== 0x04 && c.tag !== 0x24) damaged('bad string segment')
    return octets(c)
  })
  return concat(parts)
}

export function octetString(t: Tlv | undefined, what: string): Uint8Array {
  if (!t || (t.tag !== 0x04 && t.tag !== 0x24)) damaged(what)
  return octets(t)
}

export function oidOf(t: Tlv | undefined, what: string): string {
  if (!t || t.tag !== 0x06) damaged(what)
  const b = content(t)
  if (b.length === 0 || b.length > 64) damaged(what)
  const arcs: number[] = []
  let v = 0
  for (let i = 0; i < b.length; i++) {
    const byte = b[i]!
    if (v === 0 && byte === 0x80) damaged(what)
    v = v * 128 + (byte & 0x7f)
    if (v > Number.MAX_SAFE_INTEGER / 256) damaged(what)
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else arcs.push(v)
      v = 0
    } else if (i === b.length - 1) damaged(what)
  }
  return arcs.join('.')
}

/** A non-negative INTEGER small enough for a JS number. */
export function smallInt(t: Tlv | undefined, what: string): number {
  if (!t || t.tag !== 0x02) damaged(what)
  const b = content(t)
  if (b.length === 0 || (b[0]! & 0x80) !== 0) damaged(what)
  let v = 0
  for (const x of b) {
    v = v * 256 + x
    if (v > Number.MAX_SAFE_INTEGER / 256) damaged(what)
  }
  return v
}

export function iterationCount(t: Tlv | undefined): number {
  if (!t || t.tag !== 0x02) damaged('bad iteration count')
  const b = content(t)
  if (b.length === 0 || (b[0]! & 0x80) !== 0) damaged('bad iteration count')
  let v = 0
  for (const x of b) {
    v = v * 256 + x
    if (v > MAX_PFX_ITERATIONS) unsupported('iteration count too large')
  }
  if (v < 1) damaged('bad iteration count')
  return v
}

// ---------------------------------------------------------------------------------------------
// A DER writer for what writePfx builds.

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

export function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length
  let head: number[]
  if (n < 0x80) head = [tag, n]
  else if (n < 0x100) head = [tag, 0x81, n]
  else if (n < 0x10000) head = [tag, 0x82, n >> 8, n & 0xff]
  else if (n < 0x1000000) head = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  else head = [tag, 0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
  return concat([Uint8Array.from(head), body])
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, concat(parts))

/** SET OF in DER order (elements sorted by their encodings). */
export function setOf(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  })
  return tlv(0x31, concat(sorted))
}

export const octs = (b: Uint8Array): Uint8Array => tlv(0x04, b)
export const explicit0 = (b: Uint8Array): Uint8Array => tlv(0xa0, b)
export const NULL = Uint8Array.of(0x05, 0x00)

export function int(n: number): Uint8Array {
  const bytes: number[] = []
  let v = n
  do {
    bytes.unshift(v & 0xff)
    v = Math.floor(v / 256)
  } while (v > 0)
  if (bytes[0]! & 0x80) bytes.unshift(0)
  return tlv(0x02, Uint8Array.from(bytes))
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number)
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]
  const out: number[] = []
  for (const v of values) {
    const chunk = [v & 0x7f]
    let rest = Math.floor(v / 128)
    while (rest > 0) {
      chunk.unshift((rest & 0x7f) | 0x80)
      rest = Math.floor(rest / 128)
    }
    out.push(...chunk)
  }
  return tlv(0x06, Uint8Array.from(out))
}

export function bmpString(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    b[2 * i] = c >> 8
    b[2 * i + 1] = c & 0xff
  }
  return tlv(0x1e, b)
}
