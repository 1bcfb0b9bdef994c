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
