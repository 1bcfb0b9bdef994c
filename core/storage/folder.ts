import { readdir, stat } from 'node:fs/promises'
import { readRegularFile } from './regular-file'
import { basename, dirname, join } from 'node:path'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../certs/parse'

/** The files of one certificate folder, keyed by file name. */
export type CertFiles = Record<string, Uint8Array>

// A certificate folder holds four small files; anything this large is not a certificate folder.
const MAX_FOLDER_BYTES = 16 * 1024 * 1024

/** Finds a file by name in any case (Korean software writes both signCert.der and SignCert.der). */
export function fileNamed(files: CertFiles, name: string): string | undefined {
  const want = name.toLowerCase()
  return Object.keys(files).find((k) => k.toLowerCase() === want)
}

/** Maps a file-system error to a one-line CertError the user can act on. */
export function ioError(err: unknown, side: 'source' | 'destination'): CertError {
  if (err instanceof CertError) return err
  const code = (err as { code?: unknown } | null)?.code
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new CertError('IO', `the ${side} disk is full`, { reason: 'disk-full', side })
    case 'EROFS':
      return new CertError('IO', `the ${side} medium is read-only`, { reason: 'read-only', side })
    case 'EACCES':
    case 'EPERM':
      return new CertError('IO', `permission denied on the ${side}`, { reason: 'permission', side })
    case 'ENOENT':
      // A destination that vanishes while we write into it is a drive that was pulled out.
      if (side === 'destination') return new CertError('IO', 'the destination drive was removed or cannot be written', { reason: 'device', side })
      return new CertError('NOT_FOUND', 'the certificate folder was not found', { side })
    case 'EIO':
    case 'ENODEV':
    case 'ENXIO':
    case 'ESTALE':
      return new CertError('IO', `the ${side} drive could not be read or written (was it removed?)`, { reason: 'device', side })
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new CertError('CONFLICT', 'the destination already holds a certificate folder', { reason: 'exists' })
    default:
      return new CertError('IO', `the ${side} could not be read or written`, { reason: 'other', side })
  }
}

/** Reads every visible regular file of a certificate folder (hidden leftovers are skipped). */
export async function readCertFiles(folder: string): Promise<CertFiles> {
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (err) {
    throw ioError(err, 'source')
  }
  const files: CertFiles = {}
  let total = 0
  for (const n of names) {
    if (n.startsWith('.')) continue
    const p = join(folder, n)
    try {
      const st = await stat(p)
      if (!st.isFile()) continue
      total += st.size
      if (total > MAX_FOLDER_BYTES) throw new CertError('BAD_REQUEST', 'the folder is too large to be a certificate folder')
      files[n] = new Uint8Array(await readRegularFile(p, MAX_FOLDER_BYTES - total + st.size))
    } catch (err) {
      throw ioError(err, 'source')
    }
  }
  if (!fileNamed(files, 'signCert.der')) throw new CertError('NOT_FOUND', 'signCert.der is missing from the certificate folder')
  if (!fileNamed(files, 'signPri.key')) throw new CertError('NOT_FOUND', 'signPri.key is missing from the certificate folder')
  return files
}

export function signCertOf(files: CertFiles): Uint8Array {
  return files[fileNamed(files, 'signCert.der')!]!
}

export function signKeyOf(files: CertFiles): Uint8Array {
  return files[fileNamed(files, 'signPri.key')!]!
}

/**
 * The CA folder and subject folder a certificate belongs in. From the certificate itself when
 * it parses; otherwise from where it was found (`.../<CA>/USER/<DN>`).
 */
export function placementOf(files: CertFiles, sourceFolder?: string): { caFolder: string; folderName: string } {
  try {
    const f = parseCertificate(signCertOf(files))
    if (f.caFolder && f.npkiFolderName) return { caFolder: f.caFolder, folderName: f.npkiFolderName }
  } catch {
    /* fall back to the source path */
  }
  if (sourceFolder) {
    const folderName = basename(sourceFolder)
    const caFolder = basename(dirname(dirname(sourceFolder)))
    if (folderName && caFolder) return { caFolder, folderName }
  }
  throw new CertError('DAMAGED', 'the certificate cannot be parsed, so its folder name is unknown')
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Compares two folders' visible files by name (case-insensitively) and content. */
export function sameFiles(a: CertFiles, b: CertFiles): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    const other = fileNamed(b, k)
    if (!other || !sameBytes(a[k]!, b[other]!)) return false
  }
  return true
}
