import { createCipheriv, createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { bmpString, explicit, NULL, octetString, oid, sequence, setOf, tlv, uint } from '../../shared/der/writer'
import { HASH_OUT, OID, type HashName } from './pfx-asn1'
import { bmpPassword, pbkdf2Async } from './pfx-kdf'
import { KdfSession } from './pfx-kdf-pool'
import { certificateKey, keyMatches, privateKeyObject } from './pfx-keys'
import { COMPATIBLE_ITERATIONS, MAX_PFX_ITERATIONS, MODERN_ITERATIONS } from './pfx-limits'
import type { PfxProfile, PfxWriteInput } from './pfx-types'

// ---------------------------------------------------------------------------------------------
// Writing

async function encryptModern(plain: Uint8Array, utf8: Uint8Array, iterations: number): Promise<{ alg: Uint8Array; data: Uint8Array }> {
  const salt = randomBytes(16)
  const iv = randomBytes(16)
  const key = await pbkdf2Async(utf8, salt, iterations, 32, 'sha256')
  const c = createCipheriv('aes-256-cbc', key, iv)
  const data = new Uint8Array(Buffer.concat([c.update(plain), c.final()]))
  const alg = sequence(
    oid(OID.pbes2),
    sequence(sequence(oid(OID.pbkdf2), sequence(octetString(salt), uint(iterations), sequence(oid(OID.hmacWithSHA256), NULL))), sequence(oid(OID.aes256cbc), octetString(iv))),
  )
  return { alg, data }
}

async function encryptCompatible(plain: Uint8Array, bmp: Uint8Array, iterations: number, kdf: KdfSession): Promise<{ alg: Uint8Array; data: Uint8Array }> {
  const salt = randomBytes(8)
  const [key, iv] = await Promise.all([kdf.pkcs12('sha1', bmp, salt, 1, iterations, 24), kdf.pkcs12('sha1', bmp, salt, 2, iterations, 8)])
  const c = createCipheriv('des-ede3-cbc', key, iv)
  const data = new Uint8Array(Buffer.concat([c.update(plain), c.final()]))
  return { alg: sequence(oid(OID.pbeSha3Des), sequence(octetString(salt), uint(iterations))), data }
}

function attribute(id: string, value: Uint8Array): Uint8Array {
  return sequence(oid(id), setOf(value))
}

/**
 * Writes a PFX. `modern`: AES-256-CBC / PBKDF2-HMAC-SHA256 for the key and the certificates,
 * HMAC-SHA256 MAC (OpenSSL 3's layout). `compatible`: pbeWithSHAAnd3-KeyTripleDES-CBC for both
 * and a SHA-1 MAC. The PKCS#8 goes in byte for byte, so randomNum stays in its attributes.
 *
 * No key derivation runs on the calling thread (the PKCS#12 ones go to the key-derivation
 * worker, PBKDF2 to Node's thread pool), so the window keeps answering. `signal` stops the
 * derivation: the worker's running job is terminated and the write ends CANCELLED.
 */
export async function writePfx(input: PfxWriteInput, password: string, profile: PfxProfile, opts: { iterations?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
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
  const attrs = [attribute(OID.localKeyId, octetString(localKeyId))]
  if (input.friendlyName !== undefined) attrs.push(attribute(OID.friendlyName, bmpString(input.friendlyName)))
  const bagAttrs = setOf(...attrs)
  const certBag = (der: Uint8Array, withAttrs: boolean): Uint8Array =>
    sequence(oid(OID.certBag), explicit(0, sequence(oid(OID.x509Certificate), explicit(0, octetString(der)))), ...(withAttrs ? [bagAttrs] : []))
  const certContents = sequence(certBag(input.certDer, true), ...(input.chain ?? []).map((c) => certBag(c, false)))

  const bmp = bmpPassword(password)
  const utf8 = new TextEncoder().encode(password)
  const macAlg: HashName = profile === 'modern' ? 'sha256' : 'sha1'
  const macSalt = randomBytes(8)

  // The writer picks its own counts (at most MAX_PFX_ITERATIONS each), so no budget applies.
  const kdf = new KdfSession({ ...(opts.signal ? { signal: opts.signal } : {}), budget: Number.POSITIVE_INFINITY })
  let keyEnc: { alg: Uint8Array; data: Uint8Array }
  let certEnc: { alg: Uint8Array; data: Uint8Array }
  let macKey: Uint8Array
  try {
    if (profile === 'modern') {
      // Both PBKDF2 runs go to the thread pool while the worker derives the MAC key. A cancel
      // rejects the MAC key at once; the PBKDF2 runs (bounded by the iteration cap) end unheard.
      ;[keyEnc, certEnc, macKey] = await Promise.all([
        encryptModern(input.pkcs8, utf8, iterations),
        encryptModern(certContents, utf8, iterations),
        kdf.pkcs12(macAlg, bmp, macSalt, 3, iterations, HASH_OUT[macAlg]),
      ])
    } else {
      ;[keyEnc, certEnc, macKey] = await Promise.all([
        encryptCompatible(input.pkcs8, bmp, iterations, kdf),
        encryptCompatible(certContents, bmp, iterations, kdf),
        kdf.pkcs12(macAlg, bmp, macSalt, 3, iterations, HASH_OUT[macAlg]),
      ])
    }
  } finally {
    kdf.close()
  }

  const keyBag = sequence(oid(OID.shroudedKeyBag), explicit(0, sequence(keyEnc.alg, octetString(keyEnc.data))), bagAttrs)
  const keySafe = sequence(oid(OID.data), explicit(0, octetString(sequence(keyBag))))
  const certSafe = sequence(oid(OID.encryptedData), explicit(0, sequence(uint(0), sequence(oid(OID.data), certEnc.alg, tlv(0x80, certEnc.data)))))
  const authSafe = sequence(certSafe, keySafe)
  const mac = createHmac(macAlg, macKey).update(authSafe).digest()
  const macData = sequence(sequence(sequence(oid(macAlg === 'sha256' ? OID.sha256 : OID.sha1), NULL), octetString(mac)), octetString(macSalt), uint(iterations))
  return sequence(uint(3), sequence(oid(OID.data), explicit(0, octetString(authSafe))), macData)
}
