import { createHash } from 'node:crypto'

/**
 * A hash applied again and again to its own output: PKCS#12 key derivation (RFC 7292 appendix
 * B) repeats it up to millions of times, the CMP PBM one-way function (RFC 4211 4.4) hundreds of
 * times per request. Node has no native "iterate a hash" call and a native call per round costs
 * ~2 µs of binding overhead, more than the hashing itself, so the two digests real files and
 * clients use (SHA-1 for legacy MACs and PBEs, SHA-256 for modern ones) are iterated here on
 * 32-bit words without allocation. Checked against node:crypto and openssl in
 * iterate-hash.test.ts, and through the PFX and CMP interop tests.
 */

const K256 = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])
const IV256 = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
const IV1 = Int32Array.from([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0])

function toWords(b: Uint8Array): Int32Array {
  const w = new Int32Array(b.length / 4)
  for (let i = 0; i < w.length; i++) w[i] = (b[4 * i]! << 24) | (b[4 * i + 1]! << 16) | (b[4 * i + 2]! << 8) | b[4 * i + 3]!
  return w
}

function fromWords(w: Int32Array): Uint8Array {
  const b = new Uint8Array(w.length * 4)
  for (let i = 0; i < w.length; i++) {
    b[4 * i] = w[i]! >>> 24
    b[4 * i + 1] = (w[i]! >>> 16) & 0xff
    b[4 * i + 2] = (w[i]! >>> 8) & 0xff
    b[4 * i + 3] = w[i]! & 0xff
  }
  return b
}

/**
 * h := SHA-256(h), `count` times, for a 32-byte h. Eight rounds per pass with the working
 * variables renamed instead of shifted: about twice as fast as the textbook loop, which matters
 * because a 100,000-iteration MAC key is the one part of an export that cannot go to the
 * thread pool.
 */
export function iterateSha256(digest: Uint8Array, count: number): Uint8Array {
  const H = toWords(digest)
  const W = new Int32Array(64)
  for (let it = 0; it < count; it++) {
    for (let i = 0; i < 8; i++) W[i] = H[i]!
    W[8] = 0x80000000 | 0
    for (let i = 9; i < 15; i++) W[i] = 0
    W[15] = 256
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15]!
      const w2 = W[i - 2]!
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0
    }
    let a = IV256[0]!, b = IV256[1]!, c = IV256[2]!, d = IV256[3]!, e = IV256[4]!, f = IV256[5]!, g = IV256[6]!, h = IV256[7]!
    for (let i = 0; i < 64; i += 8) {
      let t = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K256[i]! + W[i]!) | 0
      d = (d + t) | 0
      h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0
      t = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + K256[i + 1]! + W[i + 1]!) | 0
      c = (c + t) | 0
      g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a)))) | 0
      t = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + K256[i + 2]! + W[i + 2]!) | 0
      b = (b + t) | 0
      f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h)))) | 0
      t = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + K256[i + 3]! + W[i + 3]!) | 0
      a = (a + t) | 0
      e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g)))) | 0
      t = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + K256[i + 4]! + W[i + 4]!) | 0
      h = (h + t) | 0
      d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f)))) | 0
      t = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + K256[i + 5]! + W[i + 5]!) | 0
      g = (g + t) | 0
      c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e)))) | 0
      t = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + K256[i + 6]! + W[i + 6]!) | 0
      f = (f + t) | 0
      b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d)))) | 0
      t = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + K256[i + 7]! + W[i + 7]!) | 0
      e = (e + t) | 0
      a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c)))) | 0
    }
    H[0] = (IV256[0]! + a) | 0
    H[1] = (IV256[1]! + b) | 0
    H[2] = (IV256[2]! + c) | 0
    H[3] = (IV256[3]! + d) | 0
    H[4] = (IV256[4]! + e) | 0
    H[5] = (IV256[5]! + f) | 0
    H[6] = (IV256[6]! + g) | 0
    H[7] = (IV256[7]! + h) | 0
  }
  return fromWords(H)
}

/** h := SHA-1(h), `count` times, for a 20-byte h. */
export function iterateSha1(digest: Uint8Array, count: number): Uint8Array {
  const H = toWords(digest)
  const W = new Int32Array(80)
  for (let it = 0; it < count; it++) {
    for (let i = 0; i < 5; i++) W[i] = H[i]!
    W[5] = 0x80000000 | 0
    for (let i = 6; i < 15; i++) W[i] = 0
    W[15] = 160
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!
      W[i] = (x << 1) | (x >>> 31)
    }
    let a = IV1[0]!, b = IV1[1]!, c = IV1[2]!, d = IV1[3]!, e = IV1[4]!
    for (let i = 0; i < 80; i++) {
      let f: number, k: number
      if (i < 20) {
        f = (b & c) | (~b & d)
        k = 0x5a827999
      } else if (i < 40) {
        f = b ^ c ^ d
        k = 0x6ed9eba1
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d)
        k = 0x8f1bbcdc | 0
      } else {
        f = b ^ c ^ d
        k = 0xca62c1d6 | 0
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    H[0] = (IV1[0]! + a) | 0
    H[1] = (IV1[1]! + b) | 0
    H[2] = (IV1[2]! + c) | 0
    H[3] = (IV1[3]! + d) | 0
    H[4] = (IV1[4]! + e) | 0
  }
  return fromWords(H)
}

export type IterableHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'

/**
 * `digest` hashed `count` more times with `alg`: PKCS#12 key derivation and the CMP PBM
 * one-way function both come down to this. SHA-1 and SHA-256 run here without a native call
 * per round; the others (rare in real files) on node:crypto.
 */
export function iterateDigest(alg: IterableHash, digest: Uint8Array, count: number): Uint8Array {
  if (count <= 0) return digest
  if (alg === 'sha256') return iterateSha256(digest, count)
  if (alg === 'sha1') return iterateSha1(digest, count)
  let d: Uint8Array = digest
  for (let i = 0; i < count; i++) d = createHash(alg).update(d).digest()
  return d
}
