import { createHash, pbkdf2 } from 'node:crypto'
import { concat } from '../../shared/der/writer'
import { HASH_BLOCK, HASH_OUT, type HashName } from './pfx-asn1'
import { iterateDigest } from './iterate-hash'

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

export function pbkdf2Async(password: Uint8Array, salt: Uint8Array, iterations: number, length: number, digest: HashName): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, length, digest, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))))
  })
}

/** PKCS#12 passwords are BMPStrings with a two-byte terminator. */
export function bmpPassword(password: string): Uint8Array {
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
export function bmpCandidates(password: string): Uint8Array[] {
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
