/**
 * Password-based MAC (RFC 4210 5.1.3.1, OID 1.2.840.113533.7.66.13): the protection of
 * ir/ip/certConf/pkiConf under the reference number / authorization code pair.
 *
 * key = owf^iterationCount(secret ‖ salt); MAC = HMAC-<mac>(key, DER(ProtectedPart)).
 */
import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { hmac } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { randomBytes, utf8ToBytes, type CHash } from '@noble/hashes/utils.js'
import { CertError } from '../errors'
import { OID, PBMParameter } from './asn1'
import { fastPbmParameter } from './fast-decode'

export type PbmHashName = 'sha1' | 'sha256' | 'sha512'

/**
 * The hash and HMAC primitives PBM runs on. The default is pure JS so this module stays
 * platform neutral; a Node process passes its native implementation, which the iterated owf
 * of every PBM (hundreds of hash calls) and the MAC over a whole message make worth it.
 */
export interface PbmHashes {
  digest(hash: PbmHashName, data: Uint8Array): Uint8Array
  hmac(hash: PbmHashName, key: Uint8Array, data: Uint8Array): Uint8Array
  /**
   * owf^iterations(input), when the implementation has a better way than `iterations` calls of
   * `digest` (e.g. a cache: one request, its POPO MAC and its answer share a key).
   */
  deriveKey?(owf: PbmHashName, input: Uint8Array, iterations: number): Uint8Array
}

/**
 * owf^iterations(input) with `iterations` calls of the port's `digest`: the platform-neutral
 * default. A Node process passes `deriveKey`, which runs core/formats/iterate-hash.ts.
 */
function owfThroughPort(hashes: Pick<PbmHashes, 'digest'>, owf: PbmHashName, input: Uint8Array, iterations: number): Uint8Array {
  let key = hashes.digest(owf, input)
  for (let i = 1; i < iterations; i++) key = hashes.digest(owf, key)
  return key
}

const NOBLE: Record<PbmHashName, CHash> = { sha1, sha256, sha512 }

export const noblePbmHashes: PbmHashes = {
  digest: (hash, data) => NOBLE[hash](data),
  hmac: (hash, key, data) => hmac(NOBLE[hash], key, data),
}

/** owf (one-way function) OIDs we accept. */
const OWF: Record<string, PbmHashName> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha512]: 'sha512',
}

/** MAC OIDs we accept, both the PKCS#5 and the IPsec forms openssl emits for HMAC-SHA1. */
const MAC: Record<string, PbmHashName> = {
  [OID.hmacWithSHA1]: 'sha1',
  [OID.hmacSha1]: 'sha1',
  [OID.hmacWithSHA256]: 'sha256',
  [OID.hmacWithSHA512]: 'sha512',
}

/** Bounds on iterationCount: below the floor the secret is too cheap to brute-force from a captured message, above the ceiling a hostile peer burns our CPU. */
export interface PbmLimits {
  minIterations: number
  maxIterations: number
}
export const PBM_LIMITS: PbmLimits = { minIterations: 100, maxIterations: 100_000 }

export type PbmOwf = 'sha1' | 'sha256' | 'sha512'
export type PbmMac = 'hmac-sha1' | 'hmacWithSHA1' | 'hmacWithSHA256' | 'hmacWithSHA512'

export interface PbmOptions {
  /** default 'sha256' (what openssl sends) */
  owf?: PbmOwf
  /** default 'hmac-sha1' (1.3.6.1.5.5.8.1.2, what openssl sends) */
  mac?: PbmMac
  /** default 500 */
  iterations?: number
  /** default: 16 fresh random bytes */
  salt?: Uint8Array
  /** default: noblePbmHashes */
  hashes?: PbmHashes
}

const OWF_BY_NAME: Record<PbmOwf, string> = { sha1: OID.sha1, sha256: OID.sha256, sha512: OID.sha512 }
const MAC_BY_NAME: Record<PbmMac, string> = {
  'hmac-sha1': OID.hmacSha1,
  hmacWithSHA1: OID.hmacWithSHA1,
  hmacWithSHA256: OID.hmacWithSHA256,
  hmacWithSHA512: OID.hmacWithSHA512,
}

function toBytes(secret: Uint8Array | string): Uint8Array {
  return typeof secret === 'string' ? utf8ToBytes(secret) : secret
}

/** A fresh PBMParameter (random 16-byte salt unless given). */
export function newPbmParameter(opts: PbmOptions = {}): PBMParameter {
  const iterations = opts.iterations ?? 500
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new CertError('BAD_REQUEST', 'invalid PBM iteration count')
  const salt = opts.salt ?? randomBytes(16)
  return new PBMParameter({
    salt: salt.slice().buffer,
    // openssl writes the owf with absent parameters and the HMAC with absent parameters too
    owf: new AlgorithmIdentifier({ algorithm: OWF_BY_NAME[opts.owf ?? 'sha256'] }),
    iterationCount: iterations,
    mac: new AlgorithmIdentifier({ algorithm: MAC_BY_NAME[opts.mac ?? 'hmac-sha1'] }),
  })
}

/** AlgorithmIdentifier { id-PasswordBasedMac, PBMParameter } for header.protectionAlg. */
export function pbmAlgorithm(param: PBMParameter): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: OID.passwordBasedMac, parameters: AsnConvert.serialize(param) })
}

/** Extracts PBMParameter from a protectionAlg; throws BAD_REQUEST if it is not PBM or malformed. */
export function parsePbmAlgorithm(alg: AlgorithmIdentifier | undefined): PBMParameter {
  if (!alg || alg.algorithm !== OID.passwordBasedMac) throw new CertError('BAD_REQUEST', 'message is not protected by a password-based MAC')
  if (!alg.parameters) throw new CertError('BAD_REQUEST', 'PBM parameters are missing')
  try {
    return fastPbmParameter(ArrayBuffer.isView(alg.parameters) ? new Uint8Array(alg.parameters.buffer, alg.parameters.byteOffset, alg.parameters.byteLength) : new Uint8Array(alg.parameters)) ?? AsnConvert.parse(alg.parameters, PBMParameter)
  } catch {
    throw new CertError('BAD_REQUEST', 'PBM parameters are malformed')
  }
}

function iterationCountOf(param: PBMParameter, limits: PbmLimits): number {
  const n = Number(param.iterationCount)
  if (!Number.isSafeInteger(n) || n < limits.minIterations || n > limits.maxIterations) {
    throw new CertError('BAD_REQUEST', `PBM iteration count outside ${limits.minIterations}..${limits.maxIterations}`, { reason: 'pbm-iterations' })
  }
  return n
}

/** Computes the MAC value over `data` (the DER of ProtectedPart). Throws UNSUPPORTED / BAD_REQUEST. */
export function computePbm(
  param: PBMParameter,
  secret: Uint8Array | string,
  data: Uint8Array,
  limits: PbmLimits = PBM_LIMITS,
  hashes: PbmHashes = noblePbmHashes,
): Uint8Array {
  const owf = OWF[param.owf.algorithm]
  if (!owf) throw new CertError('UNSUPPORTED', `unsupported PBM one-way function ${param.owf.algorithm}`)
  const macHash = MAC[param.mac.algorithm]
  if (!macHash) throw new CertError('UNSUPPORTED', `unsupported PBM MAC algorithm ${param.mac.algorithm}`)
  const iterations = iterationCountOf(param, limits)
  const s = toBytes(secret)
  const salt = new Uint8Array(param.salt)
  const input = new Uint8Array(s.length + salt.length)
  input.set(s, 0)
  input.set(salt, s.length)
  if (hashes.deriveKey) {
    const key = hashes.deriveKey(owf, input, iterations)
    input.fill(0)
    // The key belongs to the cache that derived it: it is not wiped here.
    return hashes.hmac(macHash, key, data)
  }
  const key = owfThroughPort(hashes, owf, input, iterations)
  input.fill(0)
  const mac = hashes.hmac(macHash, key, data)
  key.fill(0)
  return mac
}

/** Compares without an early exit, so timing does not reveal how many leading bytes matched. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // lengths are public (fixed by the algorithm), contents are not
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

/** True when `mac` is the PBM of `data` under `secret`. Throws on unsupported/out-of-range parameters. */
export function verifyPbm(
  param: PBMParameter,
  secret: Uint8Array | string,
  data: Uint8Array,
  mac: Uint8Array,
  limits: PbmLimits = PBM_LIMITS,
  hashes: PbmHashes = noblePbmHashes,
): boolean {
  return constantTimeEqual(computePbm(param, secret, data, limits, hashes), mac)
}
