import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { CertError } from '../../shared/errors'
import { checkNewPassword } from '../../shared/password-rule'
import { bytesEqual } from '../../shared/der/bytes'
import { decryptSignPri, encryptSignPri, openSignKey, parseEncryptedSignPri, type OpenedKey, type SignPriScheme } from '../formats/signpri'
import { noRandomNum, normalizeIdn, readIdentifyData, type VidResult, verifyVid } from '../formats/vid'
import { realFs, type FsLayer } from '../storage/atomic'
import { readRegularFile } from '../storage/regular-file'
import { recoverKeySwap, swapKeyFiles } from './key-swap'
import { enterStage, type FilePorts } from '../progress/file-stages'

/**
 * Password and identity operations on one NPKI certificate folder (signCert.der + signPri.key,
 * optionally kmCert.der + kmPri.key). Key bytes never leave this module except as file writes.
 */

export const SIGN_CERT = 'signCert.der'
export const SIGN_KEY = 'signPri.key'
export const KM_CERT = 'kmCert.der'
export const KM_KEY = 'kmPri.key'

/** Finds a file in the folder by case-insensitive name (some tools write SignCert.der). */
async function locate(folder: string, name: string): Promise<string | undefined> {
  let entries: string[]
  try {
    entries = await fs.readdir(folder)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'ENOTDIR') throw new CertError('NOT_FOUND', 'certificate folder not found')
    throw err
  }
  if (entries.includes(name)) return join(folder, name)
  const lower = name.toLowerCase()
  const hit = entries.find((e) => e.toLowerCase() === lower)
  return hit ? join(folder, hit) : undefined
}

async function readRequired(folder: string, name: string): Promise<{ path: string; data: Uint8Array }> {
  const path = await locate(folder, name)
  if (!path) throw new CertError('NOT_FOUND', `${name} not found in the certificate folder`, { file: name })
  return { path, data: new Uint8Array(await readRegularFile(path)) }
}

async function readOptional(folder: string, name: string): Promise<{ path: string; data: Uint8Array } | undefined> {
  const path = await locate(folder, name)
  return path ? { path, data: new Uint8Array(await readRegularFile(path)) } : undefined
}

/** Opens the signing key of a folder; WRONG_PASSWORD when the password does not open it. */
export async function openFolderSignKey(folder: string, password: string): Promise<OpenedKey> {
  await recoverKeySwap(folder)
  const cert = await readRequired(folder, SIGN_CERT)
  const key = await readRequired(folder, SIGN_KEY)
  return openSignKey(cert.data, key.data, password)
}

/** True when the password opens the folder's signing key, false when it does not; other problems throw. */
export async function checkPassword(folder: string, password: string): Promise<boolean> {
  try {
    await openFolderSignKey(folder, password)
    return true
  } catch (err) {
    if (err instanceof CertError && err.code === 'WRONG_PASSWORD') return false
    throw err
  }
}

export interface ChangePasswordOptions {
  /** Overrides the iteration count; by default each file keeps its own (at least 2048). */
  iterations?: number
  /** File-system layer for the atomic writes (reliability tests inject faults). */
  fs?: FsLayer
  /** Progress by stage (check, open, encrypt, write, done); a cancel before 'write' changes nothing. */
  ports?: FilePorts
}

export interface ChangePasswordResult {
  signScheme: 'A' | 'C'
  /** 'changed': kmPri.key re-encrypted too; 'absent': no kmPri.key; 'skipped': it did not open with the old password and was left as it was. */
  km: 'changed' | 'absent' | 'skipped'
  kmScheme?: 'A' | 'C'
}

/** Scheme B (fixed IV) is obsolete: it is rewritten as A. */
function targetScheme(s: SignPriScheme): 'A' | 'C' {
  return s === 'C' ? 'C' : 'A'
}

function reencrypt(keyFile: Uint8Array, pkcs8: Uint8Array, scheme: SignPriScheme, newPassword: string, iterations?: number): { data: Uint8Array; scheme: 'A' | 'C' } {
  const old = parseEncryptedSignPri(keyFile)
  const target = targetScheme(scheme)
  const data = encryptSignPri(pkcs8, newPassword, { scheme: target, iterations: iterations ?? Math.max(old.iterations, 2048), prf: target === 'C' ? old.prf : undefined })
  // A bug here would lock the user out of their certificate: prove the new file opens to the same bytes before writing anything.
  const back = decryptSignPri(data, newPassword)
  if (!bytesEqual(back.pkcs8, pkcs8)) throw new CertError('INTERNAL', 're-encrypted key did not verify')
  return { data, scheme: target }
}

/**
 * Changes the password of signPri.key (and kmPri.key when it opens with the old password).
 * The PKCS#8 plaintext, randomNum included, is kept byte for byte. Both files are encrypted
 * and verified first, then replaced as one unit (key-swap.ts): after a crash at any point both
 * open with the old password or both with the new one.
 */
export async function changePassword(folder: string, oldPassword: string, newPassword: string, opts: ChangePasswordOptions = {}): Promise<ChangePasswordResult> {
  const ports = opts.ports
  enterStage(ports, 'check', 0)
  const rule = checkNewPassword(newPassword)
  if (!rule.ok) throw new CertError('PASSWORD_RULE', rule.message, { rule: rule.rule })

  enterStage(ports, 'open', 0)
  const layer = opts.fs ?? realFs
  await recoverKeySwap(folder, layer)
  const { path: signKeyPath, data: signKeyFile } = await readRequired(folder, SIGN_KEY)
  const signCert = await readRequired(folder, SIGN_CERT)
  const sign = openSignKey(signCert.data, signKeyFile, oldPassword)
  enterStage(ports, 'encrypt', 0)
  const newSign = reencrypt(signKeyFile, sign.pkcs8, sign.scheme, newPassword, opts.iterations)

  let km: ChangePasswordResult['km'] = 'absent'
  let newKm: { path: string; data: Uint8Array; scheme: 'A' | 'C' } | undefined
  const kmKey = await readOptional(folder, KM_KEY)
  if (kmKey) {
    const kmCert = await readOptional(folder, KM_CERT)
    let opened: { pkcs8: Uint8Array; scheme: SignPriScheme } | undefined
    try {
      opened = kmCert ? openSignKey(kmCert.data, kmKey.data, oldPassword) : decryptSignPri(kmKey.data, oldPassword)
    } catch (err) {
      // A kmPri.key under another password (or unreadable) must not block the signing key's change.
      if (!(err instanceof CertError)) throw err
      opened = undefined
    }
    if (opened) {
      const r = reencrypt(kmKey.data, opened.pkcs8, opened.scheme, newPassword, opts.iterations)
      newKm = { path: kmKey.path, ...r }
      km = 'changed'
    } else {
      km = 'skipped'
    }
  }

  enterStage(ports, 'write', 0)
  await swapKeyFiles([...(newKm ? [{ path: newKm.path, data: newKm.data }] : []), { path: signKeyPath, data: newSign.data }], { fs: layer })
  ports?.progress?.('done', 1)
  return newKm ? { signScheme: newSign.scheme, km, kmScheme: newKm.scheme } : { signScheme: newSign.scheme, km }
}

/**
 * Checks that the certificate belongs to the person with this resident number (VID).
 * `idn` must be 13 digits (a hyphen is allowed), else BAD_REQUEST.
 */
export async function verifyIdentity(folder: string, password: string, idn: string): Promise<VidResult> {
  const normalized = normalizeIdn(idn)
  const cert = await readRequired(folder, SIGN_CERT)
  const key = await readRequired(folder, SIGN_KEY)
  const opened = openSignKey(cert.data, key.data, password)
  if (!readIdentifyData(cert.data)) return 'no-vid'
  if (!opened.randomNum) {
    throw noRandomNum()
  }
  return verifyVid(cert.data, opened.randomNum, normalized)
}
