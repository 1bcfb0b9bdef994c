import { promises as fs } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../certs/parse'
import { encryptSignPri } from '../formats/signpri'
import { writeFolderAtomic } from '../storage/atomic'
import type { Trash } from '../storage/trash'
import { readRegularFile } from '../storage/regular-file'
import { assertNoLinkBelow } from '../roots/links'

export const SIGN_CERT = 'signCert.der'
export const SIGN_KEY = 'signPri.key'

/** Where an issued certificate goes under an NPKI root: `<root>/<caFolder>/USER/<subject folder>`. */
export function issuedFolder(root: string, certDer: Uint8Array): string {
  const facts = parseCertificate(certDer)
  const base = resolve(root)
  const dir = resolve(base, facts.caFolder, 'USER', facts.npkiFolderName)
  // both names are sanitised by shared/dn; this guards the invariant anyway
  if (!dir.startsWith(base + sep)) throw new CertError('BAD_REQUEST', 'certificate names an unsafe folder')
  // Never written through a link (a CA folder on a stick that points at the PC's).
  assertNoLinkBelow(base, dir)
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
 * Replaces the certificate and key of a folder after a renewal, where it is: the new pair is
 * staged beside the folder with every other file of it (kmCert.der, kmPri.key, exports), the
 * old folder goes to the trash (kept 30 days), and the staged folder takes its name. If the last
 * step fails, the old certificate is restored from the trash. Returns the trash entry of the
 * old folder, so a renewal the center did not confirm can put it back.
 */
export async function saveRenewed(folder: string, certDer: Uint8Array, pkcs8: Uint8Array, password: string, trash: Trash): Promise<{ trashId: string }> {
  parseCertificate(certDer)
  const files: Record<string, Uint8Array> = {}
  for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
    if (entry.isFile() && !/^sign(cert\.der|pri\.key)$/i.test(entry.name)) files[entry.name] = new Uint8Array(await readRegularFile(join(folder, entry.name)))
  }
  files[SIGN_CERT] = certDer
  files[SIGN_KEY] = encryptSignPri(pkcs8, password, { scheme: 'A' })
  const staged = join(dirname(folder), `.${basename(folder)}.${randomBytes(6).toString('hex')}.tmp`)
  await writeFolderAtomic(staged, files)
  let trashed: { id: string } | undefined
  try {
    trashed = await trash.put(folder)
    await fs.rename(staged, folder)
  } catch (err) {
    await fs.rm(staged, { recursive: true, force: true }).catch(() => undefined)
    if (trashed) await trash.restore(trashed.id).catch(() => undefined)
    throw err
  }
  return { trashId: trashed.id }
}
