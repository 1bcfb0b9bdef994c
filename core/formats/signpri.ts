import { createHash, createPrivateKey, createPublicKey, pbkdf2Sync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto'
import { bytesEqual } from '../../shared/der/bytes'
import { OID } from '../../shared/der/oids'
import { children, content, element, expectTag, readOid, readRoot, readUint, TAG, type Tlv } from '../../shared/der/reader'
import * as der from '../../shared/der/writer'
import { CertError } from '../../shared/errors'
import { seedCbcDecrypt, seedCbcEncrypt } from './seed'

/**
 * NPKI `signPri.key` / `kmPri.key`: EncryptedPrivateKeyInfo in one of three schemes
 * (see NPKI.md §2). The plaintext PKCS#8 is kept byte for byte, because its `[0]` attributes
 * carry randomNum, which identity checks (VID) need.
 */

export type SignPriScheme = 'A' | 'B' | 'C'
export type Pbkdf2Prf = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'

const PRF_OIDS: Record<string, Pbkdf2Prf> = {
  [OID.hmacWithSHA1]: 'sha1',
  [OID.hmacWithSHA224]: 'sha224',
  [OID.hmacWithSHA256]: 'sha256',
  [OID.hmacWithSHA384]: 'sha384',
  [OID.hmacWithSHA512]: 'sha512',
}

/** A fuzzed or hostile iteration count must not freeze the app: refuse anything above this. */
export const MAX_ITERATIONS = 1_000_000
export const DEFAULT_ITERATIONS = 2048
const SCHEME_B_IV = new TextEncoder().encode('0123456789012345')

export interface EncryptedSignPri {
  scheme: SignPriScheme
  salt: Uint8Array
  iterations: number
  /** Scheme C only: the explicit IV and the PBKDF2 PRF. */
  iv?: Uint8Array
  prf?: Pbkdf2Prf
  ciphertext: Uint8Array
}

export interface OpenedKey {
  pkcs8: Uint8Array
  scheme: SignPriScheme
  randomNum?: Uint8Array
  privateKey: KeyObject
}

function checkIterations(n: number): number {
  if (n < 1) throw new CertError('DAMAGED', 'key file has an iteration count of zero')
  if (n > MAX_ITERATIONS) throw new CertError('UNSUPPORTED', `key file iteration count ${n} exceeds the supported maximum`, { iterations: n })
  return n
}

function readSalt(t: Tlv | undefined): Uint8Array {
  const s = content(expectTag(t, TAG.OCTET_STRING, 'salt OCTET STRING'))
  if (s.length < 1 || s.length > 64) throw new CertError('DAMAGED', 'key file salt has an unusual length')
  return s
}

function parsePbes2(params: Tlv | undefined): { salt: Uint8Array; iterations: number; iv: Uint8Array; prf: Pbkdf2Prf } {
  const [kdf, enc, ...rest] = children(expectTag(params, TAG.SEQUENCE, 'PBES2 parameters'))
  if (rest.length) throw new CertError('DAMAGED', 'malformed PBES2 parameters')
  const [kdfOid, kdfParams, ...kdfRest] = children(expectTag(kdf, TAG.SEQUENCE, 'PBES2 key derivation function'))
  if (kdfRest.length || !kdfOid) throw new CertError('DAMAGED', 'malformed PBES2 key derivation function')
  const kdfId = readOid(kdfOid)
  if (kdfId !== OID.pbkdf2) throw new CertError('UNSUPPORTED', `unsupported key derivation ${kdfId}`, { oid: kdfId })
  const fields = children(expectTag(kdfParams, TAG.SEQUENCE, 'PBKDF2 parameters'))
  const salt = readSalt(fields[0])
  const iterations = checkIterations(readUint(expectTag(fields[1], TAG.INTEGER, 'PBKDF2 iteration count')))
  let i = 2
  if (fields[i]?.tag === TAG.INTEGER) {
    const keyLength = readUint(fields[i] as Tlv)
    if (keyLength !== 16) throw new CertError('UNSUPPORTED', 'PBKDF2 key length other than 16 bytes for SEED')
    i++
  }
  let prf: Pbkdf2Prf = 'sha1'
  if (fields[i]) {
    const [prfOid] = children(expectTag(fields[i], TAG.SEQUENCE, 'PBKDF2 PRF'))
    if (!prfOid) throw new CertError('DAMAGED', 'malformed PBKDF2 PRF')
    const id = readOid(prfOid)
    const known = PRF_OIDS[id]
    if (!known) throw new CertError('UNSUPPORTED', `unsupported PBKDF2 PRF ${id}`, { oid: id })
    prf = known
    i++
  }
  if (fields.length > i) throw new CertError('DAMAGED', 'malformed PBKDF2 parameters')
  const [encOid, ivT, ...encRest] = children(expectTag(enc, TAG.SEQUENCE, 'PBES2 encryption scheme'))
  if (encRest.length || !encOid) throw new CertError('DAMAGED', 'malformed PBES2 encryption scheme')
  const encId = readOid(encOid)
  if (encId !== OID.seedCbc) throw new CertError('UNSUPPORTED', `unsupported PBES2 cipher ${encId}`, { oid: encId })
  const iv = content(expectTag(ivT, TAG.OCTET_STRING, 'SEED-CBC IV'))
  if (iv.length !== 16) throw new CertError('DAMAGED', 'SEED-CBC IV must be 16 bytes')
  return { salt, iterations, iv, prf }
}

/** Parses the encryption header of an NPKI key file without decrypting it. */
export function parseEncryptedSignPri(keyFile: Uint8Array): EncryptedSignPri {
  const root = readRoot(keyFile, TAG.SEQUENCE)
  const [alg, data, ...rest] = children(root)
  if (rest.length) throw new CertError('DAMAGED', 'unexpected fields in the key file')
  const [oidT, params, ...algRest] = children(expectTag(alg, TAG.SEQUENCE, 'AlgorithmIdentifier'))
  if (algRest.length || !oidT) throw new CertError('DAMAGED', 'malformed key encryption AlgorithmIdentifier')
  const ciphertext = content(expectTag(data, TAG.OCTET_STRING, 'encrypted data OCTET STRING'))
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new CertError('DAMAGED', 'encrypted key length is not a multiple of the SEED block size')
  const oid = readOid(oidT)
  if (oid === OID.pbeWithSha1AndSeedCbc || oid === OID.seedCbc) {
    const fields = children(expectTag(params, TAG.SEQUENCE, 'PBE parameters'))
    if (fields.length !== 2) throw new CertError('DAMAGED', 'malformed PBE parameters')
    const salt = readSalt(fields[0])
    const iterations = checkIterations(readUint(expectTag(fields[1], TAG.INTEGER, 'iteration count')))
    return { scheme: oid === OID.pbeWithSha1AndSeedCbc ? 'A' : 'B', salt, iterations, ciphertext }
  }
  if (oid === OID.pbes2) return { scheme: 'C', ...parsePbes2(params), ciphertext }
  throw new CertError('UNSUPPORTED', `unsupported key encryption algorithm ${oid}`, { oid })
}

function passwordBytes(password: string): Uint8Array {
  return new TextEncoder().encode(password)
}

/** PBKDF1 with SHA-1 (RFC 8018 §5.1): T1 = SHA1(P‖S), Ti = SHA1(Ti−1); returns all 20 bytes. */
export function pbkdf1Sha1(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  checkIterations(iterations)
  let t: Buffer = createHash('sha1').update(password).update(salt).digest()
  for (let i = 1; i < iterations; i++) t = createHash('sha1').update(t).digest()
  return new Uint8Array(t)
}

/** The SEED key and IV for a parsed key file and password. */
export function deriveKeyIv(enc: Pick<EncryptedSignPri, 'scheme' | 'salt' | 'iterations' | 'iv' | 'prf'>, password: string): { key: Uint8Array; iv: Uint8Array } {
  const pw = passwordBytes(password)
  if (enc.scheme === 'C') {
    if (!enc.iv) throw new CertError('DAMAGED', 'PBES2 key file without IV')
    checkIterations(enc.iterations)
    const key = new Uint8Array(pbkdf2Sync(pw, enc.salt, enc.iterations, 16, enc.prf ?? 'sha1'))
    return { key, iv: enc.iv }
  }
  const dk = pbkdf1Sha1(pw, enc.salt, enc.iterations)
  const key = dk.slice(0, 16)
  const iv = enc.scheme === 'A' ? new Uint8Array(createHash('sha1').update(dk.subarray(16, 20)).digest().subarray(0, 16)) : SCHEME_B_IV.slice()
  return { key, iv }
}

/**
 * Checks that the plaintext is one well-formed PrivateKeyInfo. With no MAC in any scheme, this
 * is what tells a wrong password from a right one once the padding happened to look valid.
 */
function checkPkcs8Shape(pkcs8: Uint8Array): void {
  const root = readRoot(pkcs8, TAG.SEQUENCE)
  const [version, alg, key, attrs, ...rest] = children(root)
  if (readUint(expectTag(version, TAG.INTEGER, 'version')) > 1) throw new CertError('DAMAGED', 'unknown PKCS#8 version')
  const [algOid] = children(expectTag(alg, TAG.SEQUENCE, 'private key algorithm'))
  readOid(expectTag(algOid, TAG.OID, 'private key algorithm OID'))
  expectTag(key, TAG.OCTET_STRING, 'private key OCTET STRING')
  if (attrs) {
    // [0] attributes, then in v2 an optional [1] public key; nothing else.
    if (attrs.tag !== TAG.CTX0 && attrs.tag !== 0x81 && attrs.tag !== 0xa1) throw new CertError('DAMAGED', 'unexpected PKCS#8 field')
    if (attrs.tag === TAG.CTX0) children(attrs)
  }
  const extra = rest[0]
  if (rest.length > 1 || (extra && (attrs?.tag !== TAG.CTX0 || (extra.tag !== 0x81 && extra.tag !== 0xa1)))) throw new CertError('DAMAGED', 'unexpected PKCS#8 fields')
}

/**
 * Decrypts an NPKI key file. Returns the exact PKCS#8 plaintext. A wrong password (bad padding
 * or a plaintext that is not PKCS#8) throws CertError WRONG_PASSWORD; a malformed file throws
 * DAMAGED; an unknown algorithm or an absurd iteration count throws UNSUPPORTED.
 */
export function decryptSignPri(keyFile: Uint8Array, password: string): { pkcs8: Uint8Array; scheme: SignPriScheme } {
  const enc = parseEncryptedSignPri(keyFile)
  const { key, iv } = deriveKeyIv(enc, password)
  let pkcs8: Uint8Array
  try {
    pkcs8 = seedCbcDecrypt(key, iv, enc.ciphertext)
    checkPkcs8Shape(pkcs8)
  } catch {
    throw new CertError('WRONG_PASSWORD', 'the password does not open this private key')
  }
  return { pkcs8, scheme: enc.scheme }
}

export interface EncryptOptions {
  /** 'A' (pbeWithSHA1AndSEED-CBC, what bank software reads everywhere) or 'C' (PBES2). */
  scheme?: 'A' | 'C'
  iterations?: number
  /** Scheme C: the PBKDF2 PRF; HMAC-SHA1 (the default, written without a prf field) is what NPKI readers expect. */
  prf?: Pbkdf2Prf
  /** Fixed salt (8 bytes) and, for C, IV (16 bytes); only for reproducible tests. Random by default. */
  salt?: Uint8Array
  iv?: Uint8Array
}

const PRF_TO_OID: Record<Pbkdf2Prf, string> = Object.fromEntries(Object.entries(PRF_OIDS).map(([oid, name]) => [name, oid])) as Record<Pbkdf2Prf, string>

/** Encrypts PKCS#8 bytes as they are (attributes and randomNum included) into an NPKI key file. */
export function encryptSignPri(pkcs8: Uint8Array, password: string, opts: EncryptOptions = {}): Uint8Array {
  const scheme = opts.scheme ?? 'A'
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) throw new CertError('BAD_REQUEST', 'iteration count out of range')
  const salt = opts.salt ?? new Uint8Array(randomBytes(8))
  if (salt.length < 1 || salt.length > 64) throw new CertError('BAD_REQUEST', 'salt length out of range')
  let algorithm: Uint8Array
  let key: Uint8Array
  let iv: Uint8Array
  if (scheme === 'A') {
    ;({ key, iv } = deriveKeyIv({ scheme: 'A', salt, iterations }, password))
    algorithm = der.tlv(TAG.SEQUENCE, der.oid(OID.pbeWithSha1AndSeedCbc), der.tlv(TAG.SEQUENCE, der.tlv(TAG.OCTET_STRING, salt), der.uint(iterations)))
  } else if (scheme === 'C') {
    const prf = opts.prf ?? 'sha1'
    const explicitIv = opts.iv ?? new Uint8Array(randomBytes(16))
    if (explicitIv.length !== 16) throw new CertError('BAD_REQUEST', 'IV must be 16 bytes')
    ;({ key, iv } = deriveKeyIv({ scheme: 'C', salt, iterations, iv: explicitIv, prf }, password))
    const kdfParams = [der.tlv(TAG.OCTET_STRING, salt), der.uint(iterations)]
    if (prf !== 'sha1') kdfParams.push(der.tlv(TAG.SEQUENCE, der.oid(PRF_TO_OID[prf]), Uint8Array.of(TAG.NULL, 0)))
    algorithm = der.tlv(
      TAG.SEQUENCE,
      der.oid(OID.pbes2),
      der.tlv(TAG.SEQUENCE, der.tlv(TAG.SEQUENCE, der.oid(OID.pbkdf2), der.tlv(TAG.SEQUENCE, ...kdfParams)), der.tlv(TAG.SEQUENCE, der.oid(OID.seedCbc), der.tlv(TAG.OCTET_STRING, explicitIv))),
    )
  } else {
    throw new CertError('BAD_REQUEST', `cannot write key scheme ${String(scheme)}`)
  }
  const ciphertext = seedCbcEncrypt(key, iv, pkcs8)
  return der.tlv(TAG.SEQUENCE, algorithm, der.tlv(TAG.OCTET_STRING, ciphertext))
}

/** The randomNum attribute (1.2.410.200004.10.1.1.3) of a PKCS#8 PrivateKeyInfo, if present. */
export function readRandomNum(pkcs8: Uint8Array): Uint8Array | undefined {
  const root = readRoot(pkcs8, TAG.SEQUENCE)
  const attrs = children(root).find((c) => c.tag === TAG.CTX0)
  if (!attrs) return undefined
  for (const attr of children(attrs)) {
    const [oid, values] = children(expectTag(attr, TAG.SEQUENCE, 'Attribute'))
    if (readOid(expectTag(oid, TAG.OID, 'attribute type')) !== OID.randomNum) continue
    const [value] = children(expectTag(values, TAG.SET, 'attribute values'))
    if (value?.tag === TAG.BIT_STRING) {
      const bits = content(value)
      if (bits.length < 2 || bits[0] !== 0) throw new CertError('DAMAGED', 'randomNum is not a whole number of bytes')
      return bits.slice(1)
    }
    // Some writers store it as an OCTET STRING; the bytes are the same.
    if (value?.tag === TAG.OCTET_STRING) return content(value).slice()
    throw new CertError('DAMAGED', 'randomNum attribute has an unexpected type')
  }
  return undefined
}

/** Builds PKCS#8 bytes with a randomNum attribute added (or replaced); used to repair stripped keys and in tests. */
export function withRandomNum(pkcs8: Uint8Array, randomNum: Uint8Array): Uint8Array {
  const root = readRoot(pkcs8, TAG.SEQUENCE)
  const [version, alg, key] = children(root)
  if (!version || !alg || !key) throw new CertError('DAMAGED', 'malformed PKCS#8')
  const attr = der.tlv(TAG.SEQUENCE, der.oid(OID.randomNum), der.tlv(TAG.SET, der.tlv(TAG.BIT_STRING, Uint8Array.of(0), randomNum)))
  return der.tlv(TAG.SEQUENCE, element(version), element(alg), element(key), der.tlv(TAG.CTX0, attr))
}

/** PrivateKeyInfo without its [0] attributes: version, algorithm and key, byte for byte. */
function stripAttributes(pkcs8: Uint8Array): Uint8Array {
  const [version, alg, key] = children(readRoot(pkcs8, TAG.SEQUENCE))
  if (!version || !alg || !key) throw new CertError('DAMAGED', 'malformed PKCS#8')
  return der.tlv(TAG.SEQUENCE, element(version), element(alg), element(key))
}

function loadPkcs8(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
  } catch (err) {
    // Some crypto builds refuse the randomNum attribute; the key itself is the same without it.
    const bare = stripAttributes(pkcs8)
    if (bare.length === pkcs8.length) throw err
    return createPrivateKey({ key: Buffer.from(bare), format: 'der', type: 'pkcs8' })
  }
}

function spkiOf(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  return new Uint8Array(pub.export({ format: 'der', type: 'spki' }))
}

/**
 * Opens the key of a certificate: decrypts, parses the private key and checks that it matches
 * the certificate's public key. Any sign of a wrong password, including a key that does not
 * belong to this certificate, throws CertError WRONG_PASSWORD (params.reason tells which).
 */
export function openSignKey(certDer: Uint8Array, keyFile: Uint8Array, password: string): OpenedKey {
  let certSpki: Uint8Array
  try {
    certSpki = spkiOf(new X509Certificate(certDer).publicKey)
  } catch {
    throw new CertError('DAMAGED', 'the certificate file cannot be parsed')
  }
  const { pkcs8, scheme } = decryptSignPri(keyFile, password)
  let privateKey: KeyObject
  try {
    privateKey = loadPkcs8(pkcs8)
  } catch {
    throw new CertError('WRONG_PASSWORD', 'the password does not open this private key')
  }
  let keySpki: Uint8Array
  try {
    keySpki = spkiOf(privateKey)
  } catch {
    throw new CertError('WRONG_PASSWORD', 'the password does not open this private key')
  }
  if (!bytesEqual(keySpki, certSpki)) {
    throw new CertError('WRONG_PASSWORD', 'the password does not open this private key (the key does not match the certificate)', { reason: 'key-mismatch' })
  }
  let randomNum: Uint8Array | undefined
  try {
    randomNum = readRandomNum(pkcs8)
  } catch {
    randomNum = undefined
  }
  return randomNum ? { pkcs8, scheme, randomNum, privateKey } : { pkcs8, scheme, privateKey }
}
