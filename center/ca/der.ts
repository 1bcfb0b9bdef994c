/** Minimal DER helpers for wrapping already-encoded parts (so signed bytes are embedded verbatim). */

function lengthBytes(len: number): number[] {
  if (len < 0x80) return [len]
  const out: number[] = []
  let n = len
  while (n > 0) {
    out.unshift(n & 0xff)
    n = Math.floor(n / 256)
  }
  return [0x80 | out.length, ...out]
}

export function derTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0)
  const head = [tag, ...lengthBytes(len)]
  const out = new Uint8Array(head.length + len)
  out.set(head, 0)
  let off = head.length
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

export const derSequence = (...parts: Uint8Array[]): Uint8Array => derTlv(0x30, ...parts)

export const derBitString = (bytes: Uint8Array): Uint8Array => derTlv(0x03, new Uint8Array([0]), bytes)

export function toHex(b: Uint8Array | ArrayBuffer): string {
  return Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex')
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export const u8 = (b: ArrayBuffer | Uint8Array): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b))

/** The exact ArrayBuffer slice of a view (AsnConvert wants ArrayBuffers, views may share a pool). */
export function ab(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

/** One TLV at `off`: its tag and where its contents start and end. Definite lengths only (DER). */
export function readTlv(b: Uint8Array, off: number): { tag: number; start: number; end: number } {
  const tag = b[off]
  let len = b[off + 1]
  if (tag === undefined || len === undefined) throw new RangeError('truncated DER')
  let start = off + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) throw new RangeError('unsupported DER length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] ?? 0)
    start += n
  }
  const end = start + len
  if (end > b.length) throw new RangeError('truncated DER')
  return { tag, start, end }
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5), whole seconds. */
export function derTime(ms: number): Uint8Array {
  const d = new Date(ms)
  const y = d.getUTCFullYear()
  const p2 = (n: number) => String(n).padStart(2, '0')
  const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`
  const utc = y >= 1950 && y <= 2049
  const text = utc ? `${p2(y % 100)}${rest}` : `${String(y).padStart(4, '0')}${rest}`
  return derTlv(utc ? 0x17 : 0x18, new TextEncoder().encode(text))
}

const oidDers = new Map<string, Uint8Array>()

/** DER of a dotted OBJECT IDENTIFIER, remembered: a center uses a handful. */
export function derOid(oid: string): Uint8Array {
  let der = oidDers.get(oid)
  if (!der) {
    const arcs = oid.split('.').map((a) => {
      if (!/^\d+$/.test(a)) throw new RangeError(`bad OID ${oid}`)
      return BigInt(a)
    })
    if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new RangeError(`bad OID ${oid}`)
    const out: number[] = []
    for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
      const group = [Number(arc & 0x7fn)]
      for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80)
      out.push(...group)
    }
    der = derTlv(0x06, Uint8Array.from(out))
    oidDers.set(oid, der)
  }
  return der
}
