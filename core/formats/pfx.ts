import { X509Certificate, createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, pbkdf2, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { CertError } from '../../shared/errors'
import { iterateSha1, iterateSha256 } from './iterate-hash'
import { seedCbcDecrypt } from './seed'

/**
 * PKCS#12 (PFX) reading and writing, built by hand rather than through a library because
 * Korean PFX files carry randomNum inside the key's PKCS#8 attributes, and both
 * `openssl pkcs12 -export` and the JS libraries either drop it, cannot write a modern MAC, or
 * cannot read 3DES/RC2. Key derivation and ciphers run on node's native crypto (pbkdf2 on the
 * thread pool, 3DES/AES through createCipheriv) so that 100,000 iterations stay fast; only RC2
 * (read-only, for old certificate safes) comes from node-forge, since neither OpenSSL 3's
 * default provider nor Electron's BoringSSL offers it.
 */

export interface PfxContents {
  /** The certificate that belongs to the private key. */
  certDer: Uint8Array
  /** The exact PrivateKeyInfo DER, including its [0] attributes (randomNum). */
  pkcs8: Uint8Array
  /** Every other certificate in the file, in file order. */
  chain: Uint8Array[]
  friendlyName?: string
  localKeyId?: Uint8Array
  /** Digest of the integrity MAC ('sha1', 'sha256', ...); absent when the file has no MAC. */
  macAlgorithm?: string
  /** How the private key was protected, e.g. 'PBES2(PBKDF2-HMAC-SHA256, AES-256-CBC)'. */
  encryption: string
  /** How the certificates were protected ('none' when they sit in a plain data safe). */
  certEncryption: string
}

export type PfxProfile = 'modern' | 'compatible'

export interface PfxWriteInput {
  certDer: Uint8Array
  pkcs8: Uint8Array
  chain?: Uint8Array[]
  friendlyName?: string
}

/** Above this a file is refused: a crafted count could otherwise pin the CPU for minutes. */
export const MAX_PFX_ITERATIONS = 10_000_000
/** No real PFX comes close; bounding the input bounds every allocation made while parsing. */
const MAX_PFX_BYTES = 16 * 1024 * 1024

/**
 * The compatible profile keeps OpenSSL 1.x's 2048: older Windows, Android and Korean bank
 * software were written against that and some refuse or crawl on much larger counts.
 */
export const COMPATIBLE_ITERATIONS = 2048
/**
 * The modern profile uses 100,000 (OpenSSL 3 still defaults to 2048, which today costs an
 * attacker almost nothing per guess). A PFX travels by e-mail and USB stick, so its password is
 * exposed to offline guessing; every reader that handles AES PFX files (Windows 10+, macOS,
 * OpenSSL 3) opens 100,000 in well under a second. The MAC uses the same count: a guesser
 * attacks whichever of MAC and encryption is cheaper, so a weaker MAC would waste the PBKDF2.
 */
export const MODERN_ITERATIONS = 100_000

// ---------------------------------------------------------------------------------------------
// Object identifiers

const OID = {
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

const DIGEST_BY_OID: Record<string, HashName> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}
const HMAC_BY_OID: Record<string, HashName> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
}

type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'
const HASH_OUT: Record<HashName, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 }
const HASH_BLOCK: Record<HashName, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 }

function damaged(what: string): never {
  throw new CertError('DAMAGED', `the PFX file is damaged or not a PFX (${what})`)
}
function wrongPassword(): never {
  throw new CertError('WRONG_PASSWORD', 'the PFX password is wrong')
}
function unsupported(what: string): never {
  throw new CertError('UNSUPPORTED', `the PFX uses an unsupported feature (${what})`)
}

// ---------------------------------------------------------------------------------------------
// A small BER reader (DER plus indefinite lengths and constructed strings, which Java and some
// Windows tools still write). Every malformation surfaces as DAMAGED.

interface Tlv {
  buf: Uint8Array
  tag: number
  cons: boolean
  start: number
  contentStart: number
  contentEnd: number
  end: number
  depth: number
}

const MAX_DEPTH = 40

function readTlv(buf: Uint8Array, pos: number, limit: number, depth: number): Tlv {
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

function parseTop(buf: Uint8Array): Tlv {
  return readTlv(buf, 0, buf.length, 0)
}

function children(t: Tlv): Tlv[] {
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

function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) damaged(what)
  return t
}

function seqOf(t: Tlv | undefined, what: string): Tlv[] {
  return children(expectTag(t, 0x30, what))
}

function raw(t: Tlv): Uint8Array {
  return t.buf.subarray(t.start, t.end)
}

function content(t: Tlv): Uint8Array {
  return t.buf.subarray(t.contentStart, t.contentEnd)
}

/** Contents of an OCTET STRING (or an implicitly tagged one), joining constructed pieces. */
function octets(t: Tlv): Uint8Array {
  if (!t.cons) return content(t)
  const parts = children(t).map((c) => {
    if (c.tag !== 0x04 && c.tag !== 0x24) damaged('bad string segment')
    return octets(c)
  })
  return concat(parts)
}

function octetString(t: Tlv | undefined, what: string): Uint8Array {
  if (!t || (t.tag !== 0x04 && t.tag !== 0x24)) damaged(what)
  return octets(t)
}

function oidOf(t: Tlv | undefined, what: string): string {
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
function smallInt(t: Tlv | undefined, what: string): number {
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

function iterationCount(t: Tlv | undefined): number {
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

function concat(parts: Uint8Array[]): Uint8Array {
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

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length
  let head: number[]
  if (n < 0x80) head = [tag, n]
  else if (n < 0x100) head = [tag, 0x81, n]
  else if (n < 0x10000) head = [tag, 0x82, n >> 8, n & 0xff]
  else if (n < 0x1000000) head = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  else head = [tag, 0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
  return concat([Uint8Array.from(head), body])
}

const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, concat(parts))

/** SET OF in DER order (elements sorted by their encodings). */
function setOf(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  })
  return tlv(0x31, concat(sorted))
}

const octs = (b: Uint8Array): Uint8Array => tlv(0x04, b)
const explicit0 = (b: Uint8Array): Uint8Array => tlv(0xa0, b)
const NULL = Uint8Array.of(0x05, 0x00)

function int(n: number): Uint8Array {
  const bytes: number[] = []
  let v = n
  do {
    bytes.unshift(v & 0xff)
    v = Math.floor(v / 256)
  } while (v > 0)
  if (bytes[0]! & 0x80) bytes.unshift(0)
  return tlv(0x02, Uint8Array.from(bytes))
}

function oid(dotted: string): Uint8Array {
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

function bmpString(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    b[2 * i] = c >> 8
    b[2 * i + 1] = c & 0xff
  }
  return tlv(0x1e, b)
}

// ---------------------------------------------------------------------------------------------
// Hashing: PKCS#12 key derivation (RFC 7292 appendix B) repeats one hash up to millions of
// times over a single block; iterate-hash.ts does the two digests real files use without a
// native call per round.

function iterateDigest(alg: HashName, digest: Uint8Array, count: number): Uint8Array {
  if (count === 0) return digest
  if (alg === 'sha256') return iterateSha256(digest, count)
  if (alg === 'sha1') return iterateSha1(digest, count)
  let d: Uint8Array = digest
  for (let i = 0; i < count; i++) d = createHash(alg).update(d).digest()
  return d
}

/** RFC 7292 appendix B.2. `id` 1 = cipher key, 2 = IV, 3 = MAC key. */
export function pkcs12Kdf(alg: HashName, password: Uint8Array, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Uint8Array {
  const u = HASH_OUT[alg]
  const v = HASH_BLOCK[alg]
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(src.length === 0 ? 0 : v * Math.ceil(src.length / v))
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!
    return out
  }
  const D = new Uint8Array(v).fill(id)
  const I = concat([fill(salt), fill(password)])
  const out = new Uint8Array(length)
  for (let done = 0; done < length; ) {
    const first = createHash(alg).update(D).update(I).digest()
    const A = iterateDigest(alg, first, iterations - 1)
    out.set(A.subarray(0, Math.min(u, length - done)), done)
    done += u
    if (done >= length) break
    const B = new Uint8Array(v)
    for (let i = 0; i < v; i++) B[i] = A[i % u]!
    for (let j = 0; j < I.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        carry += I[j + k]! + B[k]!
        I[j + k] = carry & 0xff
        carry >>= 8
      }
    }
  }
  return out
}

function pbkdf2Async(password: Uint8Array, salt: Uint8Array, iterations: number, length: number, digest: HashName): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, length, digest, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))))
  })
}

/** PKCS#12 passwords are BMPStrings with a two-byte terminator. */
function bmpPassword(password: string): Uint8Array {
  const b = new Uint8Array(password.length * 2 + 2)
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i)
    b[2 * i] = c >> 8
    b[2 * i + 1] = c & 0xff
  }
  return b
}

/**
 * Byte forms of one password that real writers have used for the PKCS#12 KDF: the standard
 * BMPString; for an empty password also no bytes at all (OpenSSL's NULL password); for a
 * non-ASCII password also each UTF-8 byte widened to 16 bits (OpenSSL before 1.1.0).
 */
function bmpCandidates(password: string): Uint8Array[] {
  const list = [bmpPassword(password)]
  if (password === '') list.push(new Uint8Array(0))
  const utf8 = new TextEncoder().encode(password)
  if (utf8.length !== password.length) {
    const wide = new Uint8Array(utf8.length * 2 + 2)
    utf8.forEach((x, i) => (wide[2 * i + 1] = x))
    list.push(wide)
  }
  return list
}

// ---------------------------------------------------------------------------------------------
// Decryption of EncryptedPrivateKeyInfo / EncryptedContentInfo payloads.

class BadDecrypt extends Error {}

interface ReadCtx {
  /** BMP password bytes for PKCS#12 PBEs: the form the MAC confirmed, or every candidate. */
  bmp: Uint8Array[]
  utf8: Uint8Array
  macVerified: boolean
}

function unpad(data: Uint8Array, block: number): Uint8Array {
  const n = data[data.length - 1]
  if (data.length === 0 || data.length % block !== 0 || n === undefined || n < 1 || n > block) throw new BadDecrypt()
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw new BadDecrypt()
  return data.subarray(0, data.length - n)
}

function nodeDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0) throw new BadDecrypt()
  try {
    const d = createDecipheriv(cipher, key, iv)
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]))
  } catch {
    throw new BadDecrypt()
  }
}

function rc2Decrypt(key: Uint8Array, bits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length % 8 !== 0) throw new BadDecrypt()
  const c = forge.rc2.createDecryptionCipher(forge.util.createBuffer(Buffer.from(key).toString('binary')), bits)
  c.start(forge.util.createBuffer(Buffer.from(iv).toString('binary')))
  c.update(forge.util.createBuffer(Buffer.from(data).toString('binary')))
  c.finish(() => true)
  return unpad(new Uint8Array(Buffer.from(c.output.getBytes(), 'binary')), 8)
}

interface Pkcs12Pbe {
  name: string
  keyLen: number
  ivLen: number
  run(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array
}

const PKCS12_PBES: Record<string, Pkcs12Pbe> = {
  [OID.pbeSha3Des]: { name: 'pbeWithSHAAnd3-KeyTripleDES-CBC', keyLen: 24, ivLen: 8, run: (k, iv, d) => nodeDecrypt('des-ede3-cbc', k, iv, d) },
  // Two-key 3DES is three-key 3DES with K3 = K1; BoringSSL lacks the two-key name.
  [OID.pbeSha2Des]: { name: 'pbeWithSHAAnd2-KeyTripleDES-CBC', keyLen: 16, ivLen: 8, run: (k, iv, d) => nodeDecrypt('des-ede3-cbc', concat([k, k.subarray(0, 8)]), iv, d) },
  [OID.pbeShaRc2_128]: { name: 'pbeWithSHAAnd128BitRC2-CBC', keyLen: 16, ivLen: 8, run: (k, iv, d) => rc2Decrypt(k, 128, iv, d) },
  [OID.pbeShaRc2_40]: { name: 'pbeWithSHAAnd40BitRC2-CBC', keyLen: 5, ivLen: 8, run: (k, iv, d) => rc2Decrypt(k, 40, iv, d) },
}

const PBES2_CIPHERS: Record<string, { name: string; keyLen: number; ivLen: number; run(key: Uint8Array, iv: Uint8Array, d: Uint8Array): Uint8Array }> = {
  [OID.aes128cbc]: { name: 'AES-128-CBC', keyLen: 16, ivLen: 16, run: (k, iv, d) => nodeDecrypt('aes-128-cbc', k, iv, d) },
  [OID.aes192cbc]: { name: 'AES-192-CBC', keyLen: 24, ivLen: 16, run: (k, iv, d) => nodeDecrypt('aes-192-cbc', k, iv, d) },
  [OID.aes256cbc]: { name: 'AES-256-CBC', keyLen: 32, ivLen: 16, run: (k, iv, d) => nodeDecrypt('aes-256-cbc', k, iv, d) },
  [OID.desEde3Cbc]: { name: 'DES-EDE3-CBC', keyLen: 24, ivLen: 8, run: (k, iv, d) => nodeDecrypt('des-ede3-cbc', k, iv, d) },
  [OID.seedCbc]: {
    name: 'SEED-CBC',
    keyLen: 16,
    ivLen: 16,
    run: (k, iv, d) => {
      if (d.length === 0 || d.length % 16 !== 0) throw new BadDecrypt()
      try {
        return seedCbcDecrypt(k, iv, d)
      } catch {
        throw new BadDecrypt()
      }
    },
  },
}

/** Decrypts with the algorithm `alg` (an AlgorithmIdentifier); returns plaintext and a label. */
async function decryptWith(alg: Tlv, data: Uint8Array, ctx: ReadCtx): Promise<{ plain: Uint8Array; label: string }> {
  const [algOid, params] = seqOf(alg, 'bad algorithm identifier')
  const id = oidOf(algOid, 'bad algorithm identifier')
  const pbe = PKCS12_PBES[id]
  if (pbe) {
    const [saltT, iterT] = seqOf(params, 'bad PBE parameters')
    const salt = octetString(saltT, 'bad PBE salt')
    const iterations = iterationCount(iterT)
    for (const pw of ctx.bmp) {
      const key = pkcs12Kdf('sha1', pw, salt, 1, iterations, pbe.keyLen)
      const iv = pkcs12Kdf('sha1', pw, salt, 2, iterations, pbe.ivLen)
      try {
        return { plain: pbe.run(key, iv, data), label: pbe.name }
      } catch (e) {
        if (!(e instanceof BadDecrypt)) throw e
      }
    }
    wrongPassword()
  }
  if (id === OID.pbes2) {
    const [kdf, enc] = seqOf(params, 'bad PBES2 parameters')
    const [kdfOid, kdfParams] = seqOf(kdf, 'bad PBES2 parameters')
    if (oidOf(kdfOid, 'bad PBES2 parameters') !== OID.pbkdf2) unsupported('PBES2 key derivation')
    const kp = seqOf(kdfParams, 'bad PBKDF2 parameters')
    const salt = octetString(kp[0], 'bad PBKDF2 salt')
    const iterations = iterationCount(kp[1])
    let rest = kp.slice(2)
    let keyLength: number | undefined
    if (rest[0]?.tag === 0x02) {
      keyLength = smallInt(rest[0], 'bad PBKDF2 key length')
      rest = rest.slice(1)
    }
    let prf: HashName = 'sha1'
    if (rest[0]) {
      const [prfOid] = seqOf(rest[0], 'bad PBKDF2 PRF')
      const p = HMAC_BY_OID[oidOf(prfOid, 'bad PBKDF2 PRF')]
      if (!p) unsupported('PBKDF2 PRF')
      prf = p
    }
    const [encOid, ivT] = seqOf(enc, 'bad PBES2 cipher')
    const cipher = PBES2_CIPHERS[oidOf(encOid, 'bad PBES2 cipher')]
    if (!cipher) unsupported('PBES2 cipher')
    const iv = octetString(ivT, 'bad PBES2 IV')
    if (iv.length !== cipher.ivLen) damaged('bad PBES2 IV')
    if (keyLength !== undefined && keyLength !== cipher.keyLen) damaged('bad PBKDF2 key length')
    const key = await pbkdf2Async(ctx.utf8, salt, iterations, cipher.keyLen, prf)
    try {
      return { plain: cipher.run(key, iv, data), label: `PBES2(PBKDF2-HMAC-${prf.toUpperCase()}, ${cipher.name})` }
    } catch (e) {
      if (e instanceof BadDecrypt) wrongPassword()
      throw e
    }
  }
  if (id === OID.pbeShaRc4_128 || id === OID.pbeShaRc4_40) unsupported('RC4 encryption')
  unsupported(`encryption algorithm ${id}`)
}

/** Plaintext that does not parse means the wrong key, unless the MAC already vouched for it. */
function garbage(ctx: ReadCtx, what: string): never {
  if (ctx.macVerified) damaged(what)
  wrongPassword()
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Attrs {
  friendlyName?: string
  localKeyId?: Uint8Array
  randomNumAttr?: Uint8Array
}

interface KeyItem extends Attrs {
  kind: 'key'
  pkcs8: Uint8Array
  encryption: string
}
interface CertItem extends Attrs {
  kind: 'cert'
  der: Uint8Array
  /** How the safe holding this certificate was protected. */
  protection: string
}

function decodeBmp(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!)
  return s
}

function readAttrs(t: Tlv | undefined): Attrs {
  const out: Attrs = {}
  if (!t) return out
  for (const attr of children(expectTag(t, 0x31, 'bad bag attributes'))) {
    const [idT, valuesT] = seqOf(attr, 'bad bag attribute')
    const id = oidOf(idT, 'bad bag attribute')
    const values = children(expectTag(valuesT, 0x31, 'bad bag attribute'))
    if (id === OID.friendlyName && values[0]?.tag === 0x1e) out.friendlyName = decodeBmp(content(values[0]))
    else if (id === OID.localKeyId && values[0]) out.localKeyId = octetString(values[0], 'bad localKeyID').slice()
    else if (id === OID.randomNum && values[0]) out.randomNumAttr = raw(attr).slice()
  }
  return out
}

/** Checks a decrypted or embedded PrivateKeyInfo and returns exactly its DER bytes. */
function privateKeyInfo(bytes: Uint8Array, ctx: ReadCtx, decrypted: boolean): Uint8Array {
  const fail = (): never => (decrypted ? garbage(ctx, 'bad private key') : damaged('bad private key'))
  try {
    const top = parseTop(bytes)
    if (top.tag !== 0x30) fail()
    if (decrypted && top.end !== bytes.length) fail()
    const [ver, alg, key] = children(top)
    smallInt(ver, 'bad private key')
    seqOf(alg, 'bad private key')
    if (!key || key.tag !== 0x04) fail()
    return raw(top).slice()
  } catch (e) {
    if (e instanceof CertError && e.code === 'DAMAGED') fail()
    throw e
  }
}

/** Items found in one safe or bag, kept in file order even though decryption runs in parallel. */
type Found = Array<KeyItem | CertItem | Promise<Found>>

function readSafeContents(bytes: Uint8Array, ctx: ReadCtx, depth: number, decrypted: boolean): Found {
  if (depth > 4) damaged('nested bags too deep')
  let top: Tlv
  try {
    top = parseTop(bytes)
    if (top.tag !== 0x30) damaged('bad safe contents')
  } catch (e) {
    if (decrypted && e instanceof CertError && e.code === 'DAMAGED') garbage(ctx, 'bad safe contents')
    throw e
  }
  const found: Found = []
  return collecting(found, () => {
    for (const bag of children(top)) {
      const [idT, valueT, attrsT] = seqOf(bag, 'bad safe bag')
      const id = oidOf(idT, 'bad safe bag')
      const value = children(expectTag(valueT, 0xa0, 'bad safe bag value'))[0]
      if (!value) damaged('empty safe bag')
      const attrs = readAttrs(attrsT)
      if (id === OID.keyBag) {
        found.push({ ...attrs, kind: 'key', pkcs8: privateKeyInfo(raw(value), ctx, false), encryption: 'none' })
      } else if (id === OID.shroudedKeyBag) {
        const [alg, data] = seqOf(value, 'bad encrypted private key')
        const enc = octetString(data, 'bad encrypted private key')
        found.push(decryptWith(alg!, enc, ctx).then(({ plain, label }) => [{ ...attrs, kind: 'key', pkcs8: privateKeyInfo(plain, ctx, true), encryption: label }]))
      } else if (id === OID.certBag) {
        const [certId, certValue] = seqOf(value, 'bad certificate bag')
        if (oidOf(certId, 'bad certificate bag') !== OID.x509Certificate) continue
        const inner = children(expectTag(certValue, 0xa0, 'bad certificate bag'))[0]
        found.push({ ...attrs, kind: 'cert', der: octetString(inner, 'bad certificate bag').slice(), protection: '' })
      } else if (id === OID.safeContentsBag) {
        found.push(...readSafeContents(raw(value), ctx, depth + 1, false))
      }
      // CRL, secret and unknown bags carry nothing this app uses.
    }
  })
}

/**
 * Runs a parse loop that starts decryptions as it goes. When the loop throws part-way, the
 * decryptions already started are still running: mark them handled so that their own failure
 * does not surface later as an unhandled rejection.
 */
function collecting(found: Found, loop: () => void): Found {
  try {
    loop()
  } catch (e) {
    for (const f of found) if (f instanceof Promise) f.catch(() => undefined)
    throw e
  }
  return found
}

/** Waits for every pending decryption (observing every rejection) and flattens in order. */
async function flatten(found: Found): Promise<Array<KeyItem | CertItem>> {
  const results = await Promise.allSettled(found.map(async (f) => (f instanceof Promise ? flatten(await f) : [f])))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))
}

function markCerts(found: Found, protection: string): Found {
  for (const f of found) if (!(f instanceof Promise) && f.kind === 'cert') f.protection = protection
  return found
}

function readAuthSafe(bytes: Uint8Array, ctx: ReadCtx): Found {
  const infos = seqOf(parseTop(bytes), 'bad authenticated safe')
  const found: Found = []
  return collecting(found, () => {
    for (const info of infos) {
      const [typeT, wrapped] = seqOf(info, 'bad content info')
      const type = oidOf(typeT, 'bad content info')
      if (!wrapped) continue
      const inner = children(expectTag(wrapped, 0xa0, 'bad content info'))[0]
      if (!inner) damaged('bad content info')
      if (type === OID.data) {
        found.push(...markCerts(readSafeContents(octetString(inner, 'bad data safe'), ctx, 0, false), 'none'))
      } else if (type === OID.encryptedData) {
        const [ver, eci] = seqOf(inner, 'bad encrypted data')
        smallInt(ver, 'bad encrypted data')
        const [, alg, encT] = seqOf(eci, 'bad encrypted content info')
        if (!encT) continue
        if (encT.tag !== 0x80 && encT.tag !== 0xa0) damaged('bad encrypted content')
        const data = octets(encT)
        found.push(decryptWith(alg!, data, ctx).then(({ plain, label }) => markCerts(readSafeContents(plain, ctx, 0, true), label)))
      } else if (type === OID.envelopedData) {
        unsupported('public-key encrypted safe')
      }
    }
  })
}

function verifyMac(macData: Tlv, authSafe: Uint8Array, candidates: Uint8Array[]): { alg: HashName; bmp: Uint8Array } {
  const [digestInfo, saltT, iterT] = seqOf(macData, 'bad MAC data')
  const [algT, macT] = seqOf(digestInfo, 'bad MAC data')
  const [algOid] = seqOf(algT, 'bad MAC algorithm')
  const alg = DIGEST_BY_OID[oidOf(algOid, 'bad MAC algorithm')]
  if (!alg) unsupported('MAC algorithm')
  const expected = octetString(macT, 'bad MAC')
  const salt = octetString(saltT, 'bad MAC salt')
  const iterations = iterT ? iterationCount(iterT) : 1
  if (expected.length !== HASH_OUT[alg]) damaged('bad MAC length')
  for (const pw of candidates) {
    const key = pkcs12Kdf(alg, pw, salt, 3, iterations, HASH_OUT[alg])
    const mac = createHmac(alg, key).update(authSafe).digest()
    if (timingSafeEqual(mac, expected)) return { alg, bmp: pw }
  }
  wrongPassword()
}

/** PKCS#8 without attributes (and as v1), the form every crypto library accepts. */
function bareKey(pkcs8: Uint8Array): Uint8Array {
  const [, alg, key] = children(parseTop(pkcs8))
  return seq(int(0), raw(alg!), raw(key!))
}

function hasRandomNum(pkcs8: Uint8Array): boolean {
  const attrs = children(parseTop(pkcs8)).find((c) => c.tag === 0xa0)
  if (!attrs) return false
  return children(attrs).some((a) => a.tag === 0x30 && oidOf(children(a)[0], 'bad key attribute') === OID.randomNum)
}

/** Moves a randomNum found as a bag attribute into the PKCS#8 [0] attributes, where NPKI keeps it. */
function withRandomNum(pkcs8: Uint8Array, attr: Uint8Array): Uint8Array {
  const parts = children(parseTop(pkcs8))
  const [ver, alg, key] = parts
  const attrsT = parts.find((c) => c.tag === 0xa0)
  const existing = attrsT ? children(attrsT).map(raw) : []
  const sortedSet = setOf(...existing, attr)
  const rest = parts.filter((c) => c.start > key!.start && c.tag !== 0xa0).map(raw)
  return seq(raw(ver!), raw(alg!), raw(key!), concat([Uint8Array.of(0xa0), sortedSet.subarray(1)]), ...rest)
}

function privateKeyObject(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(bareKey(pkcs8)), format: 'der', type: 'pkcs8' })
  } catch (e) {
    if (e instanceof CertError) throw e
    throw new CertError('DAMAGED', 'the private key cannot be read')
  }
}

function certificateKey(certDer: Uint8Array): KeyObject {
  try {
    return new X509Certificate(certDer).publicKey
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be read')
  }
}

function keyMatches(priv: KeyObject, certDer: Uint8Array): boolean {
  return createPublicKey(priv).equals(certificateKey(certDer))
}

/**
 * Reads a PFX. Wrong password → WRONG_PASSWORD; not a PFX or damaged → DAMAGED; a key that
 * does not belong to the certificate → KEY_MISMATCH; algorithms we cannot run → UNSUPPORTED.
 */
export async function readPfx(bytes: Uint8Array, password: string): Promise<PfxContents> {
  try {
    return await readPfxInner(bytes, password)
  } catch (e) {
    if (e instanceof CertError) throw e
    throw new CertError('DAMAGED', 'the PFX file is damaged or not a PFX')
  }
}

async function readPfxInner(bytes: Uint8Array, password: string): Promise<PfxContents> {
  if (bytes.length > MAX_PFX_BYTES) damaged('file too large')
  const [verT, authSafeInfo, macData] = seqOf(parseTop(bytes), 'not a PFX')
  if (smallInt(verT, 'bad version') !== 3) damaged('not version 3')
  const [typeT, wrapped] = seqOf(authSafeInfo, 'bad authenticated safe')
  const type = oidOf(typeT, 'bad authenticated safe')
  if (type === OID.signedData) unsupported('public-key integrity mode')
  if (type !== OID.data) damaged('bad authenticated safe')
  const authSafe = octetString(children(expectTag(wrapped, 0xa0, 'bad authenticated safe'))[0], 'bad authenticated safe')

  const ctx: ReadCtx = { bmp: bmpCandidates(password), utf8: new TextEncoder().encode(password), macVerified: false }
  let macAlgorithm: string | undefined
  if (macData) {
    const { alg, bmp } = verifyMac(macData, authSafe, ctx.bmp)
    macAlgorithm = alg
    ctx.bmp = [bmp]
    ctx.macVerified = true
  }

  const items = await flatten(readAuthSafe(authSafe, ctx))
  const keys = items.filter((i): i is KeyItem => i.kind === 'key')
  const certs = items.filter((i): i is CertItem => i.kind === 'cert')
  const key = keys[0]
  if (!key) throw new CertError('DAMAGED', 'the PFX file holds no private key')
  if (certs.length === 0) throw new CertError('DAMAGED', 'the PFX file holds no certificate')

  const priv = privateKeyObject(key.pkcs8)
  const sameId = (c: CertItem): boolean => !!key.localKeyId && !!c.localKeyId && Buffer.from(key.localKeyId).equals(Buffer.from(c.localKeyId))
  const leaf = certs.find(sameId) ?? certs.find((c) => keyMatches(priv, c.der))
  if (!leaf || !keyMatches(priv, leaf.der)) throw new CertError('KEY_MISMATCH', 'the private key in the PFX does not belong to its certificate')

  let pkcs8 = key.pkcs8
  const randomAttr = key.randomNumAttr ?? leaf.randomNumAttr
  if (randomAttr && !hasRandomNum(pkcs8)) pkcs8 = withRandomNum(pkcs8, randomAttr)

  const friendlyName = key.friendlyName ?? leaf.friendlyName
  const localKeyId = key.localKeyId ?? leaf.localKeyId
  return {
    certDer: leaf.der,
    pkcs8,
    chain: certs.filter((c) => c !== leaf).map((c) => c.der),
    ...(friendlyName !== undefined ? { friendlyName } : {}),
    ...(localKeyId ? { localKeyId } : {}),
    ...(macAlgorithm ? { macAlgorithm } : {}),
    encryption: key.encryption,
    certEncryption: leaf.protection,
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

async function encryptModern(plain: Uint8Array, utf8: Uint8Array, iterations: number): Promise<{ alg: Uint8Array; data: Uint8Array }> {
  const salt = randomBytes(16)
  const iv = randomBytes(16)
  const key = await pbkdf2Async(utf8, salt, iterations, 32, 'sha256')
  const c = createCipheriv('aes-256-cbc', key, iv)
  const data = new Uint8Array(Buffer.concat([c.update(plain), c.final()]))
  const alg = seq(
    oid(OID.pbes2),
    seq(seq(oid(OID.pbkdf2), seq(octs(salt), int(iterations), seq(oid(OID.hmacWithSha256), NULL))), seq(oid(OID.aes256cbc), octs(iv))),
  )
  return { alg, data }
}

function encryptCompatible(plain: Uint8Array, bmp: Uint8Array, iterations: number): { alg: Uint8Array; data: Uint8Array } {
  const salt = randomBytes(8)
  const key = pkcs12Kdf('sha1', bmp, salt, 1, iterations, 24)
  const iv = pkcs12Kdf('sha1', bmp, salt, 2, iterations, 8)
  const c = createCipheriv('des-ede3-cbc', key, iv)
  const data = new Uint8Array(Buffer.concat([c.update(plain), c.final()]))
  return { alg: seq(oid(OID.pbeSha3Des), seq(octs(salt), int(iterations))), data }
}

function attribute(id: string, value: Uint8Array): Uint8Array {
  return seq(oid(id), setOf(value))
}

/**
 * Writes a PFX. `modern`: AES-256-CBC / PBKDF2-HMAC-SHA256 for the key and the certificates,
 * HMAC-SHA256 MAC (OpenSSL 3's layout). `compatible`: pbeWithSHAAnd3-KeyTripleDES-CBC for both
 * and a SHA-1 MAC. The PKCS#8 goes in byte for byte, so randomNum stays in its attributes.
 */
export async function writePfx(input: PfxWriteInput, password: string, profile: PfxProfile, opts: { iterations?: number } = {}): Promise<Uint8Array> {
  const iterations = opts.iterations ?? (profile === 'modern' ? MODERN_ITERATIONS : COMPATIBLE_ITERATIONS)
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PFX_ITERATIONS) throw new CertError('BAD_REQUEST', 'iteration count out of range')
  if (profile !== 'modern' && profile !== 'compatible') throw new CertError('BAD_REQUEST', 'unknown PFX profile')

  let priv: KeyObject
  try {
    priv = privateKeyObject(input.pkcs8)
  } catch (e) {
    if (e instanceof CertError) throw e
    throw new CertError('DAMAGED', 'the private key cannot be read')
  }
  if (!keyMatches(priv, input.certDer)) throw new CertError('KEY_MISMATCH', 'the private key does not belong to the certificate')
  for (const c of input.chain ?? []) certificateKey(c)

  const localKeyId = createHash('sha1').update(input.certDer).digest()
  const attrs = [attribute(OID.localKeyId, octs(localKeyId))]
  if (input.friendlyName !== undefined) attrs.push(attribute(OID.friendlyName, bmpString(input.friendlyName)))
  const bagAttrs = setOf(...attrs)
  const certBag = (der: Uint8Array, withAttrs: boolean): Uint8Array =>
    seq(oid(OID.certBag), explicit0(seq(oid(OID.x509Certificate), explicit0(octs(der)))), ...(withAttrs ? [bagAttrs] : []))
  const certContents = seq(certBag(input.certDer, true), ...(input.chain ?? []).map((c) => certBag(c, false)))

  const bmp = bmpPassword(password)
  const utf8 = new TextEncoder().encode(password)
  const macAlg: HashName = profile === 'modern' ? 'sha256' : 'sha1'
  const macSalt = randomBytes(8)

  let keyEnc: { alg: Uint8Array; data: Uint8Array }
  let certEnc: { alg: Uint8Array; data: Uint8Array }
  let macKey: Uint8Array
  if (profile === 'modern') {
    // Both PBKDF2 runs go to the thread pool while this thread derives the MAC key.
    const pending = Promise.all([encryptModern(input.pkcs8, utf8, iterations), encryptModern(certContents, utf8, iterations)])
    macKey = pkcs12Kdf(macAlg, bmp, macSalt, 3, iterations, HASH_OUT[macAlg])
    ;[keyEnc, certEnc] = await pending
  } else {
    keyEnc = encryptCompatible(input.pkcs8, bmp, iterations)
    certEnc = encryptCompatible(certContents, bmp, iterations)
    macKey = pkcs12Kdf(macAlg, bmp, macSalt, 3, iterations, HASH_OUT[macAlg])
  }

  const keyBag = seq(oid(OID.shroudedKeyBag), explicit0(seq(keyEnc.alg, octs(keyEnc.data))), bagAttrs)
  const keySafe = seq(oid(OID.data), explicit0(octs(seq(keyBag))))
  const certSafe = seq(oid(OID.encryptedData), explicit0(seq(int(0), seq(oid(OID.data), certEnc.alg, tlv(0x80, certEnc.data)))))
  const authSafe = seq(certSafe, keySafe)
  const mac = createHmac(macAlg, macKey).update(authSafe).digest()
  const macData = seq(seq(seq(oid(macAlg === 'sha256' ? OID.sha256 : OID.sha1), NULL), octs(mac)), octs(macSalt), int(iterations))
  return seq(int(3), seq(oid(OID.data), explicit0(octs(authSafe))), macData)
}
