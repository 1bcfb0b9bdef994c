import { CertError } from '../../shared/errors'

/**
 * SEED-128 (RFC 4269, KISA) with CBC and PKCS#7 padding.
 *
 * Written in TypeScript because Electron's BoringSSL has no SEED, yet every NPKI private key
 * is encrypted with it. The four 8→32-bit tables (SS0..SS3) are derived once from the two
 * S-boxes so that the G function is four lookups and three XORs; blocks are processed as
 * 32-bit words in place, with no allocation per block.
 */

/** Thrown when CBC decryption finds invalid PKCS#7 padding: the key is wrong or the data damaged. */
export class SeedPaddingError extends CertError {
  constructor() {
    super('WRONG_PASSWORD', 'decryption failed: bad padding (wrong key or damaged data)')
    this.name = 'SeedPaddingError'
  }
}

export const SEED_BLOCK_SIZE = 16

// S-boxes S1 and S2 of RFC 4269 section 4; the SS tables below fold in the masks of G.
const S1_HEX =
  'a985d6d3541dac255d43181e51fcca632844209de0e2c817a58f037bbb13d2ee' +
  '708c3fa832ddf674ec950b575c5bbd01241c739810ccf2d92ce772839bd186c9' +
  '6050a3eb0db69e4fb75ac678a612afd561c3b441527d8d081f9900190453f7e1' +
  'fd762f27b08b0eaba26e934d697c090abfeff3c58714fe64de2e4b1a06216b66' +
  '02f5928a0cb37ed07a4796e52680addfa13037ae36152238f4a7454c81e98497' +
  '35cbce3c7111c78975fbdaf8945982c4ff493967c0cfd7b80f8e4223916cdba4' +
  '34f148c26f3d2d40be3ebcc1aaba4e553bdc687f9cd84a5677a0ed46b52b65fa' +
  'e3b9b19f5ef9e6b231ea6d5fe4f0cd88163a58d462290733e81b0579906a2a9a'
const S2_HEX =
  '38e82da6cfdeb3b8af6055c7446f6b5bc36233b529a0e2a7d39111061cbc364b' +
  'ef886ca817c416f4c245e1d63f3d8e98284ef63ea5f90ddfd82b667a272ff172' +
  '42d441c07367ac8bf7ad801fca2caa34d20beee95d9418f857ae08c513cd86b9' +
  'ff7dc131f58a6ab1d120d7022204687107db9d9961bee659dd5190dc9aa3abd0' +
  '810f471ae3ec8dbf967b5ca2a163234dc89e9c3a0c2eba6e9f5af292f34978cc' +
  '15fb70757f351003646dc674d5b4ea097619fe4012e0bd05fa01f02a5ea95643' +
  '8514899bb0e5487997fc1e82218c1b5f7754b21d254f0046ed5852eb7edac9fd' +
  '3095653cb6e4bb7c0e5039263284699337e724a4cb530a87d94c838fce3b4ab7'

const M0 = 0xfc
const M1 = 0xf3
const M2 = 0xcf
const M3 = 0x3f

function sbox(hex: string): Uint8Array {
  const out = new Uint8Array(256)
  for (let i = 0; i < 256; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Byte masks (for Z0, Z1, Z2, Z3) that G applies to one S-box output. */
function ssTable(s: Uint8Array, m0: number, m1: number, m2: number, m3: number): Int32Array {
  const t = new Int32Array(256)
  for (let x = 0; x < 256; x++) {
    const y = s[x] as number
    t[x] = ((y & m3) << 24) | ((y & m2) << 16) | ((y & m1) << 8) | (y & m0)
  }
  return t
}

const S1 = sbox(S1_HEX)
const S2 = sbox(S2_HEX)
const SS0 = ssTable(S1, M0, M1, M2, M3)
const SS1 = ssTable(S2, M1, M2, M3, M0)
const SS2 = ssTable(S1, M2, M3, M0, M1)
const SS3 = ssTable(S2, M3, M0, M1, M2)

// Key constants KC_i = (golden ratio 0x9e3779b9) rotated left by i.
const KC = new Int32Array(16)
for (let i = 0, k = 0x9e3779b9 | 0; i < 16; i++, k = (k << 1) | (k >>> 31)) KC[i] = k

function g(x: number): number {
  return (SS0[x & 0xff] as number) ^ (SS1[(x >>> 8) & 0xff] as number) ^ (SS2[(x >>> 16) & 0xff] as number) ^ (SS3[x >>> 24] as number)
}

/** G with the tables passed in, so the hot loop reads them from locals rather than module bindings. */
function gt(x: number, s0: Int32Array, s1: Int32Array, s2: Int32Array, s3: Int32Array): number {
  return (s0[x & 0xff] as number) ^ (s1[(x >>> 8) & 0xff] as number) ^ (s2[(x >>> 16) & 0xff] as number) ^ (s3[x >>> 24] as number)
}

function readBE(b: Uint8Array, i: number): number {
  return ((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)
}

function writeBE(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24
  b[i + 1] = v >>> 16
  b[i + 2] = v >>> 8
  b[i + 3] = v
}

/** Expands a 16-byte key into the 32 round-key words K(i,0), K(i,1), i = 1..16. */
export function seedKeySchedule(key: Uint8Array): Int32Array {
  if (key.length !== 16) throw new CertError('BAD_REQUEST', 'SEED key must be 16 bytes')
  let a = readBE(key, 0)
  let b = readBE(key, 4)
  let c = readBE(key, 8)
  let d = readBE(key, 12)
  const rk = new Int32Array(32)
  for (let i = 0; i < 16; i++) {
    const kc = KC[i] as number
    rk[2 * i] = g((((a + c) | 0) - kc) | 0)
    rk[2 * i + 1] = g((((b - d) | 0) + kc) | 0)
    if ((i & 1) === 0) {
      // Odd rounds (1-based) rotate A||B right by 8 bits.
      const t = a
      a = (a >>> 8) | (b << 24)
      b = (b >>> 8) | (t << 24)
    } else {
      // Even rounds rotate C||D left by 8 bits.
      const t = c
      c = (c << 8) | (d >>> 24)
      d = (d << 8) | (t >>> 24)
    }
  }
  return rk
}

/**
 * Runs the 16 Feistel rounds on the block held as four words in `st`; decryption is the same
 * network with the round keys reversed. The block lives in a caller-owned Int32Array so the
 * hot loops allocate nothing.
 */
function crypt(rk: Int32Array, dec: boolean, st: Int32Array): void {
  const s0 = SS0
  const s1 = SS1
  const s2 = SS2
  const s3 = SS3
  let l0 = st[0] as number
  let l1 = st[1] as number
  let r0 = st[2] as number
  let r1 = st[3] as number
  let t0: number
  let t1: number
  const step = dec ? -2 : 2
  let k = dec ? 30 : 0
  for (let round = 0; round < 16; round += 2) {
    t0 = r0 ^ (rk[k] as number)
    t1 = r1 ^ (rk[k + 1] as number)
    t1 = gt(t1 ^ t0, s0, s1, s2, s3)
    t0 = gt((t0 + t1) | 0, s0, s1, s2, s3)
    t1 = gt((t1 + t0) | 0, s0, s1, s2, s3)
    t0 = (t0 + t1) | 0
    l0 ^= t0
    l1 ^= t1
    k += step

    t0 = l0 ^ (rk[k] as number)
    t1 = l1 ^ (rk[k + 1] as number)
    t1 = gt(t1 ^ t0, s0, s1, s2, s3)
    t0 = gt((t0 + t1) | 0, s0, s1, s2, s3)
    t1 = gt((t1 + t0) | 0, s0, s1, s2, s3)
    t0 = (t0 + t1) | 0
    r0 ^= t0
    r1 ^= t1
    k += step
  }
  st[0] = r0
  st[1] = r1
  st[2] = l0
  st[3] = l1
}

function checkBlock(block: Uint8Array): void {
  if (block.length !== 16) throw new CertError('BAD_REQUEST', 'SEED block must be 16 bytes')
}

/** Encrypts one 16-byte block (ECB primitive; use the CBC functions for data). */
function cryptOne(key: Uint8Array | Int32Array, block: Uint8Array, dec: boolean): Uint8Array {
  checkBlock(block)
  const rk = key instanceof Int32Array ? key : seedKeySchedule(key)
  const st = Int32Array.of(readBE(block, 0), readBE(block, 4), readBE(block, 8), readBE(block, 12))
  crypt(rk, dec, st)
  const out = new Uint8Array(16)
  for (let i = 0; i < 4; i++) writeBE(out, i * 4, st[i] as number)
  return out
}

/** Encrypts one 16-byte block (ECB primitive; use the CBC functions for data). */
export function seedEncryptBlock(key: Uint8Array | Int32Array, block: Uint8Array): Uint8Array {
  return cryptOne(key, block, false)
}

/** Decrypts one 16-byte block. */
export function seedDecryptBlock(key: Uint8Array | Int32Array, block: Uint8Array): Uint8Array {
  return cryptOne(key, block, true)
}

function checkIv(iv: Uint8Array): void {
  if (iv.length !== 16) throw new CertError('BAD_REQUEST', 'SEED-CBC IV must be 16 bytes')
}

/** Encrypts `data` with SEED-CBC and PKCS#7 padding; the output is 1..16 bytes longer than the input. */
export function seedCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkIv(iv)
  const rk = seedKeySchedule(key)
  const pad = 16 - (data.length % 16)
  const out = new Uint8Array(data.length + pad)
  out.set(data)
  out.fill(pad, data.length)
  const st = Int32Array.of(readBE(iv, 0), readBE(iv, 4), readBE(iv, 8), readBE(iv, 12))
  for (let i = 0; i < out.length; i += 16) {
    // CBC: the previous ciphertext block is still in st.
    st[0] = (st[0] as number) ^ readBE(out, i)
    st[1] = (st[1] as number) ^ readBE(out, i + 4)
    st[2] = (st[2] as number) ^ readBE(out, i + 8)
    st[3] = (st[3] as number) ^ readBE(out, i + 12)
    crypt(rk, false, st)
    writeBE(out, i, st[0] as number)
    writeBE(out, i + 4, st[1] as number)
    writeBE(out, i + 8, st[2] as number)
    writeBE(out, i + 12, st[3] as number)
  }
  return out
}

/**
 * Decrypts SEED-CBC data and strips PKCS#7 padding. Throws SeedPaddingError when the padding
 * is invalid and CertError DAMAGED when the length is not a positive multiple of 16.
 */
export function seedCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkIv(iv)
  if (data.length === 0 || data.length % 16 !== 0) throw new CertError('DAMAGED', 'encrypted data length is not a multiple of the SEED block size')
  const rk = seedKeySchedule(key)
  const out = new Uint8Array(data.length)
  const st = new Int32Array(4)
  let p0 = readBE(iv, 0)
  let p1 = readBE(iv, 4)
  let p2 = readBE(iv, 8)
  let p3 = readBE(iv, 12)
  for (let i = 0; i < data.length; i += 16) {
    const x0 = readBE(data, i)
    const x1 = readBE(data, i + 4)
    const x2 = readBE(data, i + 8)
    const x3 = readBE(data, i + 12)
    st[0] = x0
    st[1] = x1
    st[2] = x2
    st[3] = x3
    crypt(rk, true, st)
    writeBE(out, i, (st[0] as number) ^ p0)
    writeBE(out, i + 4, (st[1] as number) ^ p1)
    writeBE(out, i + 8, (st[2] as number) ^ p2)
    writeBE(out, i + 12, (st[3] as number) ^ p3)
    p0 = x0
    p1 = x1
    p2 = x2
    p3 = x3
  }
  const pad = out[out.length - 1] as number
  if (pad < 1 || pad > 16) throw new SeedPaddingError()
  // Check every padding byte without an early exit, so timing does not reveal where it failed.
  let bad = 0
  for (let i = out.length - pad; i < out.length; i++) bad |= (out[i] as number) ^ pad
  if (bad !== 0) throw new SeedPaddingError()
  return out.slice(0, out.length - pad)
}
