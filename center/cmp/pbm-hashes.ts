import * as nodeCrypto from 'node:crypto'
import type { PbmHashes, PbmHashName } from '../../shared/cmp/pbm'

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
