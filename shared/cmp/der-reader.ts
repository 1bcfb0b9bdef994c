/**
 * A strict DER element reader: single-byte tags, definite minimal lengths, nothing past the
 * end of the enclosing element. Anything else makes it throw `NotDer`, so callers can fall
 * back to a general BER/DER parser instead of guessing.
 */
export class NotDer extends Error {
  constructor() {
    super('not a DER element this reader handles')
    this.name = 'NotDer'
  }
}

export interface Tlv {
  tag: number
  /** First byte of the element (its tag). */
  at: number
  /** Contents, without tag and length. */
  start: number
  end: number
}

/** The element at `at`, which must end by `limit`. */
export function tlvAt(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new NotDer()
  const tag = der[at]!
  if ((tag & 0x1f) === 0x1f) throw new NotDer() // multi-byte tag
  let len = der[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3 || start + n > limit || der[start] === 0) throw new NotDer() // indefinite, huge or non-minimal
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!
    if (len < 0x80) throw new NotDer()
    start += n
  }
  const end = start + len
  if (end > limit) throw new NotDer()
  return { tag, at, start, end }
}

/** Walks the elements inside one constructed element, in order. */
export class DerCursor {
  private pos: number

  constructor(
    readonly der: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  /** The tag of the next element (undefined at the end). */
  peek(): number | undefined {
    return this.done ? undefined : this.der[this.pos]
  }

  /** The next element, which must carry `tag` when given. */
  next(tag?: number): Tlv {
    const t = tlvAt(this.der, this.pos, this.end)
    if (tag !== undefined && t.tag !== tag) throw new NotDer()
    this.pos = t.end
    return t
  }

  /** The next element when it carries `tag`, otherwise nothing (and the cursor stays). */
  optional(tag: number): Tlv | undefined {
    if (this.done || this.der[this.pos] !== tag) return undefined
    return this.next(tag)
  }

  /** Throws unless every element has been read. */
  finish(): void {
    if (this.pos !== this.end) throw new NotDer()
  }
}

export const inside = (der: Uint8Array, t: Tlv): DerCursor => new DerCursor(der, t.start, t.end)

/** Dotted OBJECT IDENTIFIER from its contents; minimal sub-identifiers only. */
export function oidOf(der: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.start) throw new NotDer()
  const parts: number[] = []
  let v = 0
  let fresh = true
  for (let i = t.start; i < t.end; i++) {
    const b = der[i]!
    if (fresh && b === 0x80) throw new NotDer() // leading zero group
    if (v > 2 ** 45) throw new NotDer()
    v = v * 128 + (b & 0x7f)
    fresh = (b & 0x80) === 0
    if (fresh) {
      if (parts.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2
        parts.push(first, v - first * 40)
      } else parts.push(v)
      v = 0
    }
  }
  if (!fresh) throw new NotDer()
  return parts.join('.')
}

/** A small INTEGER (up to 4 content bytes, minimal two's complement) as a number. */
export function smallIntOf(der: Uint8Array, t: Tlv): number {
  const n = t.end - t.start
  if (n < 1 || n > 4) throw new NotDer()
  const first = der[t.start]!
  if (n > 1 && ((first === 0 && der[t.start + 1]! < 0x80) || (first === 0xff && der[t.start + 1]! >= 0x80))) throw new NotDer()
  let v = 0
  for (let i = t.start; i < t.end; i++) v = v * 256 + der[i]!
  if (first & 0x80) v -= 2 ** (8 * n)
  return v
}

/** Copy of the bytes [start, end) as an ArrayBuffer of its own. */
export const bufferOf = (der: Uint8Array, start: number, end: number): ArrayBuffer => der.slice(start, end).buffer

/** The whole element (tag, length and contents). */
export const elementOf = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.at, t.end)

/** The element re-tagged as a SEQUENCE: the DER of an IMPLICIT [n] SEQUENCE field as it is signed or MACed. */
export function asSequence(der: Uint8Array, t: Tlv): Uint8Array {
  const out = der.slice(t.at, t.end)
  out[0] = 0x30
  return out
}
