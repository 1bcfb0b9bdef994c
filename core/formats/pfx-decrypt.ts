import { createDecipheriv } from 'node:crypto'
import forge from 'node-forge'
import { concat } from '../../shared/der/writer'
import { HMAC_BY_OID, OID, damaged, iterationCount, octetString, oidOf, seqOf, smallInt, unsupported, wrongPassword, type HashName, type Tlv } from './pfx-asn1'
import type { KdfSession } from './pfx-kdf-pool'
import { seedCbcDecrypt } from './seed'

// ---------------------------------------------------------------------------------------------
// Decryption of EncryptedPrivateKeyInfo / EncryptedContentInfo payloads.

export class BadDecrypt extends Error {}

export interface ReadCtx {
  /** BMP password bytes for PKCS#12 PBEs: the form the MAC confirmed, or every candidate. */
  bmp: Uint8Array[]
  utf8: Uint8Array
  macVerified: boolean
  /** Runs (and charges to the file's budget) every key derivation. */
  kdf: KdfSession
}

export function unpad(data: Uint8Array, block: number): Uint8Array {
  const n = data[data.length - 1]
  if (data.length === 0 || data.length % block !== 0 || n === undefined || n < 1 || n > block) throw new BadDecrypt()
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw new BadDecrypt()
  return data.subarray(0, data.length - n)
}

export function nodeDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0) throw new BadDecrypt()
  try {
    const d = createDecipheriv(cipher, key, iv)
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]))
  } catch {
    throw new BadDecrypt()
  }
}

export function rc2Decrypt(key: Uint8Array, bits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length % 8 !== 0) throw new BadDecrypt()
  const c = forge.rc2.createDecryptionCipher(forge.util.createBuffer(Buffer.from(key).toString('binary')), bits)
  c.start(forge.util.createBuffer(Buffer.from(iv).toString('binary')))
  c.update(forge.util.createBuffer(Buffer.from(data).toString('binary')))
  c.finish(() => true)
  return unpad(new Uint8Array(Buffer.from(c.output.getBytes(), 'binary')), 8)
}

export interface Pkcs12Pbe {
  name: string
  keyLen: number
  ivLen: number
  run(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array
}

export const PKCS12_PBES: Record<string, Pkcs12Pbe> = {
  [OID.pbeSha3Des]: { name: 'pbeWithSHAAnd3-KeyTripleDES-CBC', keyLen: 24, ivLen: 8, run: (k, iv, d) => nodeDecrypt('des-ede3-cbc', k, iv, d) },
  // Two-key 3DES is three-key 3DES with K3 = K1; BoringSSL lacks the two-key name.
  [OID.pbeSha2Des]: { name: 'pbeWithSHAAnd2-KeyTripleDES-CBC', keyLen: 16, ivLen: 8, run: (k, iv, d) => nodeDecrypt('des-ede3-cbc', concat([k, k.subarray(0, 8)]), iv, d) },
  [OID.pbeShaRc2_128]: { name: 'pbeWithSHAAnd128BitRC2-CBC', keyLen: 16, ivLen: 8, run: (k, iv, d) => rc2Decrypt(k, 128, iv, d) },
  [OID.pbeShaRc2_40]: { name: 'pbeWithSHAAnd40BitRC2-CBC', keyLen: 5, ivLen: 8, run: (k, iv, d) => rc2Decrypt(k, 40, iv, d) },
}

export const PBES2_CIPHERS: Record<string, { name: string; keyLen: number; ivLen: number; run(key: Uint8Array, iv: Uint8Array, d: Uint8Array): Uint8Array }> = {
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

/**
 * Decrypts with the algorithm `alg` (an AlgorithmIdentifier); returns plaintext and a label.
 * Not async on purpose: the parameters are read and the derivations charged to the file's
 * budget synchronously, so a parse loop over many bags stops at the first one over budget
 * instead of queueing them all.
 */
export function decryptWith(alg: Tlv, data: Uint8Array, ctx: ReadCtx): Promise<{ plain: Uint8Array; label: string }> {
  const [algOid, params] = seqOf(alg, 'bad algorithm identifier')
  const id = oidOf(algOid, 'bad algorithm identifier')
  const pbe = PKCS12_PBES[id]
  if (pbe) {
    const [saltT, iterT] = seqOf(params, 'bad PBE parameters')
    const salt = octetString(saltT, 'bad PBE salt')
    const iterations = iterationCount(iterT)
    const derived = ctx.bmp.map((pw) => Promise.all([ctx.kdf.pkcs12('sha1', pw, salt, 1, iterations, pbe.keyLen), ctx.kdf.pkcs12('sha1', pw, salt, 2, iterations, pbe.ivLen)]))
    for (const d of derived) d.catch(() => undefined)
    return (async () => {
      for (const d of derived) {
        const [key, iv] = await d
        try {
          return { plain: pbe.run(key, iv, data), label: pbe.name }
        } catch (e) {
          if (!(e instanceof BadDecrypt)) throw e
        }
      }
      wrongPassword()
    })()
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
    return ctx.kdf.pbkdf2(ctx.utf8, salt, iterations, cipher.keyLen, prf).then((key) => {
      try {
        return { plain: cipher.run(key, iv, data), label: `PBES2(PBKDF2-HMAC-${prf.toUpperCase()}, ${cipher.name})` }
      } catch (e) {
        if (e instanceof BadDecrypt) wrongPassword()
        throw e
      }
    })
  }
  if (id === OID.pbeShaRc4_128 || id === OID.pbeShaRc4_40) unsupported('RC4 encryption')
  unsupported(`encryption algorithm ${id}`)
}

/** Plaintext that does not parse means the wrong key, unless the MAC already vouched for it. */
export function garbage(ctx: ReadCtx, what: string): never {
  if (ctx.macVerified) damaged(what)
  wrongPassword()
}
