import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
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

/**
 * Creates `path` with `content` only if it does not exist yet, and returns what the file holds
 * afterwards. The content is written under a private temporary name and hard-linked into place
 * (link fails with EEXIST when the name is taken), so two processes starting on a fresh data
 * directory at once agree on one file and neither ever reads it half-written.
 */
export function createOnce(path: string, content: string | Uint8Array): { content: Buffer; created: boolean } {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' })
  try {
    linkSync(tmp, path)
    return { content: Buffer.from(content), created: true }
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err
    return { content: readFileSync(path), created: false }
  } finally {
    unlinkSync(tmp)
  }
}

function caSecret(dataDir: string): string {
  const env = process.env[CA_SECRET_ENV]
  if (env && env.length > 0) return env
  const path = join(dataDir, CA_SECRET_FILE)
  if (existsSync(path)) return readFileSync(path, 'utf8').trim()
  return createOnce(path, randomBytes(32).toString('base64url') + '\n').content.toString('utf8').trim()
}

function openKey(pem: string, passphrase: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase })
  } catch {
    throw new CertError('WRONG_PASSWORD', 'the CA key cannot be opened with the configured secret')
  }
}

/** Loads the CA key, creating it (and the secret) on first start. `created` tells the caller to make a new CA certificate. */
export function loadOrCreateCaKey(dataDir: string, alg: 'rsa' | 'ec'): { key: KeyObject; created: boolean } {
  const keyPath = join(dataDir, CA_KEY_FILE)
  if (existsSync(keyPath)) {
    if (!process.env[CA_SECRET_ENV] && !existsSync(join(dataDir, CA_SECRET_FILE))) {
      throw new CertError('INTERNAL', 'the CA secret is missing (ca-secret file or CERTMGR_CENTER_SECRET)')
    }
    return { key: openKey(readFileSync(keyPath, 'utf8'), caSecret(dataDir)), created: false }
  }
  const passphrase = caSecret(dataDir)
  const { privateKey } =
    alg === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
  // Another process starting at the same moment may have won: then its key is the CA's.
  const placed = createOnce(keyPath, pem)
  return placed.created ? { key: privateKey, created: true } : { key: openKey(placed.content.toString('utf8'), passphrase), created: false }
}
