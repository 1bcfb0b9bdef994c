/**
 * The one DER writer: formats (signPri.key, PFX, VID), the CA and CMP build their structures
 * from these pieces, so already-encoded parts (signed bytes, received keys) are embedded
 * verbatim. Bad arguments are programming errors and raise RangeError.
 */

export function encodeLength(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad DER length ${n}`)
  if (n < 0x80) return Uint8Array.of(n)
  const out: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff)
  return Uint8Array.of(0x80 | out.length, ...out)
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
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

/** One element: tag, definite minimal length, then the parts in order. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const head = encodeLength(len)
  const out = new Uint8Array(1 + head.length + len)
  out[0] = tag
  out.set(head, 1)
  let off = 1 + head.length
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

export const sequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts)

/** SET OF in DER order (elements sorted by their encodings). */
export function setOf(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  })
  return tlv(0x31, ...sorted)
}

export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes)

/** A BIT STRING of whole bytes. */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(0), bytes)

/** [n] EXPLICIT, constructed context tag. */
export const explicit = (n: number, ...parts: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...parts)

export const NULL = Uint8Array.of(0x05, 0x00)

/** A non-negative INTEGER from a safe number. */
export function uint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`INTEGER out of range: ${n}`)
  const bytes: number[] = []
  let v = n
  do {
    bytes.unshift(v & 0xff)
    v = Math.floor(v / 256)
  } while (v > 0)
  if (bytes[0]! & 0x80) bytes.unshift(0)
  return tlv(0x02, Uint8Array.from(bytes))
}

const oidDers = new Map<string, Uint8Array>()

/** DER of a dotted OBJECT IDENTIFIER (arcs of any size), remembered: a program uses a handful. */
export function oid(dotted: string): Uint8Array {
  let der = oidDers.get(dotted)
  if (!der) {
    const arcs = dotted.split('.').map((a) => {
      if (!/^\d+$/.test(a)) throw new RangeError(`bad OID ${dotted}`)
      return BigInt(a)
    })
    if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new RangeError(`bad OID ${dotted}`)
    const out: number[] = []
    for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
      const group = [Number(arc & 0x7fn)]
      for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80)
      out.push(...group)
    }
    der = tlv(0x06, Uint8Array.from(out))
    oidDers.set(dotted, der)
  }
  return der
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5), whole seconds. */
export function time(ms: number): Uint8Array {
  const d = new Date(ms)
  const y = d.getUTCFullYear()
  const p2 = (n: number) => String(n).padStart(2, '0')
  const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`
  const utc = y >= 1950 && y <= 2049
  const text = utc ? `${p2(y % 100)}${rest}` : `${String(y).padStart(4, '0')}${rest}`
  return tlv(utc ? 0x17 : 0x18, new TextEncoder().encode(text))
}

export const utf8String = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s))

/** BMPString (UTF-16BE), as PKCS#12 friendly names are written. */
export function bmpString(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    b[2 * i] = c >> 8
    b[2 * i + 1] = c & 0xff
  }
  return tlv(0x1e, b)
}
