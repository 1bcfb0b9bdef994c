
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
