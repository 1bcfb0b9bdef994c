import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CertError } from '../../shared/errors'

/**
 * Storage of the CA private key.
 *
 * The key lives in the data directory as encrypted PKCS#8 (PBES2/AES-256-CBC) and the passphrase
 * lives apart from it: in CERTMGR_CENTER_SECRET when set, otherwise in the 0600 file `ca-secret`.
 * For a center that runs unattended on one machine this is the honest minimum: whoever owns the
 * account can read both, and no software-only scheme changes that, but a copied database or
 * backup of `ca-key.p8.pem` alone does not leak the key, and a deployment can move the secret
 * into the environment (or an HSM later) without touching the key format.
 */
export const CA_KEY_FILE = 'ca-key.p8.pem'
export const CA_SECRET_FILE = 'ca-secret'
export const CA_SECRET_ENV = 'CERTMGR_CENTER_SECRET'

function caSecret(dataDir: string, create: boolean): string {
  const env = process.env[CA_SECRET_ENV]
  if (env && env.length > 0) return env
  const path = join(dataDir, CA_SECRET_FILE)
  if (existsSync(path)) return readFileSync(path, 'utf8').trim()
  if (!create) throw new CertError('INTERNAL', 'the CA secret is missing (ca-secret file or CERTMGR_CENTER_SECRET)')
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return secret
}

/** Loads the CA key, creating it (and the secret) on first start. `created` tells the caller to make a new CA certificate. */
export function loadOrCreateCaKey(dataDir: string, alg: 'rsa' | 'ec'): { key: KeyObject; created: boolean } {
  const keyPath = join(dataDir, CA_KEY_FILE)
  if (existsSync(keyPath)) {
    const passphrase = caSecret(dataDir, false)
    try {
      return { key: createPrivateKey({ key: readFileSync(keyPath, 'utf8'), format: 'pem', passphrase }), created: false }
    } catch {
      throw new CertError('WRONG_PASSWORD', 'the CA key cannot be opened with the configured secret')
    }
  }
  const passphrase = caSecret(dataDir, true)
  const { privateKey } =
    alg === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
  // Written under a temporary name and renamed so a crash never leaves a half-written key behind.
  const tmp = `${keyPath}.${process.pid}.tmp`
  writeFileSync(tmp, pem, { mode: 0o600 })
  renameSync(tmp, keyPath)
  return { key: privateKey, created: true }
}
