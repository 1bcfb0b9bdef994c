/**
 * Seeded mutators for DER inputs, shared by the PFX and certificate fuzz tests. Deterministic
 * so a failure can be replayed from its seed and index.
 */

export type Rng = () => number

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Offsets of TLV headers in a DER tree, descending into constructed values and into OCTET
 * STRINGs whose content is itself DER (PKCS#12 nests its structures that way).
 */
export function headerOffsets(buf: Uint8Array): number[] {
  const out: number[] = []
  const walk = (start: number, end: number, depth: number): boolean => {
    let p = start
    const found: number[] = []
    while (p < end) {
      if (p + 2 > end) return false
      const tag = buf[p]!
      let len = buf[p + 1]!
      let hdr = 2
      if (len & 0x80) {
        const n = len & 0x7f
        if (n === 0 || n > 4 || p + 2 + n > end) return false
        len = 0
        for (let i = 0; i < n; i++) len = len * 256 + buf[p + 2 + i]!
        hdr = 2 + n
      }
      if (p + hdr + len > end) return false
      found.push(p)
      if (depth < 30) {
        if (tag & 0x20) walk(p + hdr, p + hdr + len, depth + 1)
        else if (tag === 0x04 && len > 1) walk(p + hdr, p + hdr + len, depth + 1)
      }
      p += hdr + len
    }
    out.push(...found)
    return true
  }
  walk(0, buf.length, 0)
  return out.sort((a, b) => a - b)
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff]

/** One mutation of `base`: bit flips, byte sets, truncation, insertion, deletion, duplication or a corrupted DER length. */
export function mutate(base: Uint8Array, rnd: Rng, headers: number[]): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n)
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!
  const b = base.slice()
  switch (int(8)) {
    case 0: {
      const flips = 1 + int(4)
      for (let i = 0; i < flips; i++) {
        const p = int(b.length)
        b[p] = b[p]! ^ (1 << int(8))
      }
      return b
    }
    case 1: {
      const p = int(b.length)
      b[p] = rnd() < 0.5 ? pick(INTERESTING) : int(256)
      return b
    }
    case 2:
      return b.subarray(0, int(b.length))
    case 3: {
      const p = int(b.length + 1)
      const ins = Uint8Array.from({ length: 1 + int(8) }, () => (rnd() < 0.3 ? pick(INTERESTING) : int(256)))
      return Uint8Array.from([...b.subarray(0, p), ...ins, ...b.subarray(p)])
    }
    case 4: {
      const p = int(b.length)
      const n = 1 + int(16)
      return Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + n)])
    }
    case 5: {
      const p = int(b.length)
      const n = 1 + int(32)
      const chunk = b.subarray(p, p + n)
      const at = int(b.length)
      return Uint8Array.from([...b.subarray(0, at), ...chunk, ...b.subarray(at)])
    }
    default: {
      // DER length corruption at a real header.
      const h = pick(headers)
      const l = h + 1
      if (l >= b.length) return b
      const cur = b[l]!
      const choice = int(6)
      if (choice === 0) b[l] = int(256)
      else if (choice === 1) b[l] = (cur + 1) & 0xff
      else if (choice === 2) b[l] = (cur + 255) & 0xff
      else if (choice === 3) b[l] = 0x80
      else if (choice === 4) return Uint8Array.from([...b.subarray(0, l), 0x84, 0xff, 0xff, 0xff, 0xf0, ...b.subarray(l + 1)])
      else b[l] = 0
      return b
    }
  }
}
