/**
 * PKCS#12 (PFX) reading and writing, built by hand rather than through a library because
 * Korean PFX files carry randomNum inside the key's PKCS#8 attributes, and both
 * `openssl pkcs12 -export` and the JS libraries either drop it, cannot write a modern MAC, or
 * cannot read 3DES/RC2. Key derivation and ciphers run on node's native crypto (pbkdf2 on the
 * thread pool, 3DES/AES through createCipheriv) so that 100,000 iterations stay fast; only RC2
 * (read-only, for old certificate safes) comes from node-forge, since neither OpenSSL 3's
 * default provider nor Electron's BoringSSL offers it.
 *
 * The code is split along its seams: pfx-asn1 (identifiers, BER reader, DER writer), pfx-kdf
 * (key derivation), pfx-decrypt (ciphers), pfx-mac (integrity), pfx-keys (the PKCS#8 key),
 * pfx-read and pfx-write; pfx-limits holds the bounds and the iteration counts.
 */

export { COMPATIBLE_ITERATIONS, MAX_PFX_BYTES, MAX_PFX_ITERATIONS, MAX_PFX_WORK, MODERN_ITERATIONS } from './pfx-limits'
export type { KdfOptions, KdfProgress } from './pfx-kdf-pool'
export type { PfxContents, PfxProfile, PfxWriteInput } from './pfx-types'
export { pkcs12Kdf } from './pfx-kdf'
export { pfxTooLarge, readPfx } from './pfx-read'
export { writePfx } from './pfx-write'

