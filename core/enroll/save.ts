import { promises as fs } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../certs/parse'
import { encryptSignPri } from '../formats/signpri'
import { writeFolderAtomic } from '../storage/atomic'

export const SIGN_CERT = 'signCert.der'
export const SIGN_KEY = 'signPri.key'

/** Where an issued certificate goes under an NPKI root: `<root>/<caFolder>/USER/<subject folder>`. */
export function issuedFolder(root: string, certDer: Uint8Array): string {
  const facts = parseCertificate(certDer)
  const base = resolve(root)
  const dir = resolve(base, facts.caFolder, 'USER', facts.npkiFolderName)
  // both names are sanitised by shared/dn; this guards the invariant anyway
  if (!dir.startsWith(base + sep)) throw new CertError('BAD_REQUEST', 'certificate names an unsafe folder')
  return dir
}

function isExists(err: unknown): boolean {
  return (err as { code?: string }).code === 'EEXIST'
}

/**
 * What to do when the destination folder already exists: 'error' (CONFLICT), 'replace'
 * (reissue: the center revokes the previous certificate), or 'suffix' (write beside it as
 * `<folder>_<serial>`, so neither the new nor the old certificate is lost).
 */
export type OnExists = 'error' | 'replace' | 'suffix'

/**
 * Writes a newly issued certificate and its key (PKCS#8 with randomNum, encrypted with
 * scheme A) as one folder, atomically. Returns the folder written.
 */
export async function saveIssued(root: string, certDer: Uint8Array, pkcs8: Uint8Array, password: string, opts: { onExists?: OnExists } = {}): Promise<string> {
  const dir = issuedFolder(root, certDer)
  const files = { [SIGN_CERT]: certDer, [SIGN_KEY]: encryptSignPri(pkcs8, password, { scheme: 'A' }) }
  const onExists = opts.onExists ?? 'error'
  try {
    await writeFolderAtomic(dir, files, { replace: onExists === 'replace' })
    return dir
  } catch (err) {
    if (!isExists(err)) throw err
    if (onExists !== 'suffix') throw new CertError('CONFLICT', 'a certificate with this name already exists in the destination')
  }
  const beside = `${dir}_${parseCertificate(certDer).serialHex}`
  await writeFolderAtomic(beside, files).catch((err: unknown) => {
    if (isExists(err)) throw new CertError('CONFLICT', 'a certificate with this name already exists in the destination')
    throw err
  })
  return beside
}

/**
 * Replaces the certificate and key in an existing folder after a renewal. Other files in the
 * folder (kmCert.der, kmPri.key, exports) are carried over. The old folder stays aside until
 * the new one is completely written and renamed into place.
 */
export async function saveRenewed(folder: string, certDer: Uint8Array, pkcs8: Uint8Array, password: string): Promise<string> {
  parseCertificate(certDer)
  const key = encryptSignPri(pkcs8, password, { scheme: 'A' })
  const files: Record<string, Uint8Array> = {}
  for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === SIGN_CERT || entry.name === SIGN_KEY) continue
    files[entry.name] = new Uint8Array(await fs.readFile(join(folder, entry.name)))
  }
  files[SIGN_CERT] = certDer
  files[SIGN_KEY] = key
  await writeFolderAtomic(folder, files, { replace: true })
  return folder
}
