import * as nodeCrypto from 'node:crypto'
import { type PbmHashes, type PbmHashName } from '../../shared/cmp/pbm'
import { iterateDigest } from '../../core/formats/iterate-hash'

// crypto.hash (Node >= 20.12) skips the Hash object per call, which is most of the cost of a
// 32-byte digest; the iterated owf makes hundreds of them per PBM.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Uint8Array }).hash

const digest: (hash: PbmHashName, data: Uint8Array) => Uint8Array = oneShot
  ? (hash, data) => oneShot(hash, data, 'buffer')
  : (hash, data) => nodeCrypto.createHash(hash).update(data).digest()

/** PBM on node:crypto, for the center (and any other Node-side PBM user). */
export const nodePbmHashes: PbmHashes = {
  digest,
  hmac: (hash, key, data) => nodeCrypto.createHmac(hash, key).update(data).digest(),
}

/**
 * node:crypto PBM that derives each key once. One exchange checks the request's MAC, maybe its
 * POPO MAC, and MACs the answer, all under the same secret and PBMParameter: the iterated owf
 * (the bulk of the cost) then runs once instead of three times. Made per exchange and dropped
 * with it, so derived keys never outlive the request; `wipe` zeroes them.
 */
export function perExchangePbmHashes(): PbmHashes & { wipe(): void } {
  const keys = new Map<string, Uint8Array>()
  return {
    ...nodePbmHashes,
    deriveKey(owf, input, iterations) {
      const id = `${owf}:${iterations}:${Buffer.from(input).toString('base64')}`
      let key = keys.get(id)
      if (!key) {
        // The first round hashes secret and salt; every later one a digest (in place for SHA-1 and SHA-256).
        key = iterateDigest(owf, digest(owf, input), iterations - 1)
        keys.set(id, key)
      }
      return key
    },
    wipe() {
      for (const k of keys.values()) k.fill(0)
      keys.clear()
    },
  }
}
