import { readdir, realpath, rmdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { CertError } from '../../shared/errors'
import { openSignKey } from '../formats/signpri'
import { realFs, recoverFolder, removeFolderAtomic, writeFolderAtomic, type FsLayer } from './atomic'
import { fileNamed, ioError, placementOf, readCertFiles, sameBytes, sameFiles, signCertOf, signKeyOf, type CertFiles } from './folder'
import { assertNoLinkBelow } from '../roots/links'
import { cancelledError, enterStage, type FilePorts } from '../progress/file-stages'

/** Opens the key to prove the password; throws CertError WRONG_PASSWORD when it does not. */
export type KeyOpener = (certDer: Uint8Array, keyFile: Uint8Array, password: string) => unknown

export interface StorageDeps {
  /** Destination writes go through this layer (tests inject faults). */
  fs?: FsLayer
  /** Removal of a moved source goes through this one. */
  sourceFs?: FsLayer
  openKey?: KeyOpener
  /** Progress by stage, and a cancel honoured between stages (see copyCert and moveCert). */
  ports?: FilePorts
}

export type CopyOutcome = 'copied' | 'replaced' | 'identical'

export interface CopyResult {
  /** The certificate folder at the destination. */
  path: string
  outcome: CopyOutcome
}

export interface CopyOptions {
  /** An NPKI root (a PC root or `<drive>/NPKI`). */
  toRoot: string
  /** When given, the key must open with it before anything is written. */
  password?: string
  /** Replace a different certificate already at the destination. */
  overwrite?: boolean
}

/** The entry of `parent` named `name` in any case, or `name` itself when there is none. */
export async function findDirCaseInsensitive(parent: string, name: string): Promise<string> {
  try {
    const want = name.toLowerCase()
    const hit = (await readdir(parent, { withFileTypes: true })).find((d) => d.isDirectory() && d.name.toLowerCase() === want)
    if (hit) return hit.name
  } catch {
    /* parent does not exist yet: use the canonical spelling */
  }
  return name
}

/**
 * `<root>/<CA>/USER/<DN>`, reusing the spelling already on the medium (`User`, `YESSIGN`) so a
 * copy never creates a second CA folder that differs only in case.
 */
export async function destinationFolder(root: string, files: CertFiles, sourceFolder?: string): Promise<string> {
  const { caFolder, folderName } = placementOf(files, sourceFolder)
  const ca = await findDirCaseInsensitive(root, caFolder)
  const user = await findDirCaseInsensitive(join(root, ca), 'USER')
  const dest = join(resolve(root), ca, user, folderName)
  // Never written through a link: a stick whose NPKI/yessign points at the PC's would take the write onto the PC.
  assertNoLinkBelow(root, dest)
  return dest
}

/** Whether two paths name one folder (symlinks, bind mounts and other spellings included). */
export async function samePlace(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true
  try {
    const [ra, rb] = await Promise.all([realpath(a), realpath(b)])
    if (ra === rb) return true
    const [sa, sb] = await Promise.all([stat(a), stat(b)])
    return sa.ino === sb.ino && sa.dev === sb.dev
  } catch {
    return false
  }
}

/** The certificate files at `dest`: undefined when nothing is there, `{}` when something unreadable is. */
export async function readExisting(dest: string): Promise<CertFiles | undefined> {
  try {
    await stat(dest)
  } catch {
    return undefined
  }
  try {
    return await readCertFiles(dest)
  } catch {
    // A damaged folder at the destination is "something different": overwrite decides.
    return {}
  }
}

export function checkPassword(files: CertFiles, password: string, openKey: KeyOpener = openSignKey): void {
  try {
    openKey(signCertOf(files), signKeyOf(files), password)
  } catch (err) {
    if (err instanceof CertError) throw err
    throw new CertError('WRONG_PASSWORD', 'the password does not open this private key')
  }
}

/** The CONFLICT for a destination holding other files than the ones to be written there. */
export function conflictError(existing: CertFiles, files: CertFiles): CertError {
  const ec = fileNamed(existing, 'signCert.der')
  const sameCert = ec !== undefined && sameBytes(existing[ec]!, signCertOf(files))
  return new CertError(
    'CONFLICT',
    sameCert ? 'the destination holds this certificate with different key files' : 'the destination holds a different certificate with the same name',
    { reason: sameCert ? 'key-differs' : 'different-certificate' },
  )
}

/**
 * Writes a certificate folder's files to their place under `toRoot`. The sign pair and, when
 * present, the km pair and any other visible files travel together in one atomic folder write.
 */
export async function writeCertFiles(files: CertFiles, opts: CopyOptions, deps: StorageDeps = {}, sourceFolder?: string): Promise<CopyResult> {
  const fs = deps.fs ?? realFs
  if (opts.password !== undefined) {
    enterStage(deps.ports, 'open', 0)
    checkPassword(files, opts.password, deps.openKey)
  }
  enterStage(deps.ports, 'check', 0)
  const dest = await destinationFolder(opts.toRoot, files, sourceFolder)
  if (sourceFolder && (await samePlace(sourceFolder, dest))) return { path: dest, outcome: 'identical' }
  // A write killed half-way may have left the previous folder aside: put it back before comparing.
  await recoverFolder(dest, fs).catch(() => undefined)
  const existing = await readExisting(dest)
  if (existing) {
    if (sameFiles(existing, files)) return { path: dest, outcome: 'identical' }
    if (!opts.overwrite) throw conflictError(existing, files)
  }
  enterStage(deps.ports, 'write', 0)
  try {
    await writeFolderAtomic(dest, files, { replace: opts.overwrite === true, fs })
  } catch (err) {
    throw ioError(err, 'destination')
  }
  return { path: dest, outcome: existing ? 'replaced' : 'copied' }
}

/**
 * Copies a certificate folder into an NPKI root: `<root>/<CA>/USER/<DN>`. Stages: read, open
 * (with a password), check, write, done; a cancel before 'write' leaves the destination as it was.
 */
export async function copyCert(sourceFolder: string, opts: CopyOptions, deps: StorageDeps = {}): Promise<CopyResult> {
  enterStage(deps.ports, 'read', 0)
  const files = await readCertFiles(sourceFolder)
  const res = await writeCertFiles(files, opts, deps, sourceFolder)
  deps.ports?.progress?.('done', 1)
  return res
}

/** Re-reads the destination and compares it with what was meant to be written. */
export async function verifyCopy(dest: string, files: CertFiles): Promise<void> {
  let written: CertFiles
  try {
    written = await readCertFiles(dest)
  } catch (err) {
    throw ioError(err, 'destination')
  }
  for (const [name, data] of Object.entries(files)) {
    const w = fileNamed(written, name)
    if (!w || !sameBytes(written[w]!, data)) throw new CertError('IO', 'the copy at the destination does not match the original', { reason: 'verify-failed' })
  }
}

/** The folders above `folder` (its USER and CA folders) that do not exist yet, deepest first. */
async function missingParents(folder: string): Promise<string[]> {
  const out: string[] = []
  for (const dir of [dirname(folder), dirname(dirname(folder))]) {
    if (await stat(dir).then(() => false, () => true)) out.push(dir)
  }
  return out
}

/**
 * Moves a certificate folder: copy, read the copy back and compare, and only then remove the
 * source (atomically, so a crash leaves either the whole source or none of it). Stages: read,
 * open (with a password), check, write, verify, remove, done. A cancel before 'write' writes
 * nothing; one heard at 'verify' or 'remove' takes a new copy back out and leaves the source
 * (CANCELLED). A copy that replaced another certificate cannot be taken back: the move then
 * completes.
 */
export async function moveCert(sourceFolder: string, opts: CopyOptions, deps: StorageDeps = {}): Promise<CopyResult> {
  const ports = deps.ports
  enterStage(ports, 'read', 0)
  const files = await readCertFiles(sourceFolder)
  // The CA and USER folders the copy will create, so a cancel can take them back out too.
  const planned = await destinationFolder(opts.toRoot, files, sourceFolder).catch(() => undefined)
  const created = planned ? await missingParents(planned) : []
  const res = await writeCertFiles(files, opts, deps, sourceFolder)
  if (await samePlace(sourceFolder, res.path)) {
    ports?.progress?.('done', 1)
    return res
  }
  /** Removes a new copy (not one that replaced another certificate) and the folders made for it. */
  const takeCopyBack = async (): Promise<void> => {
    if (res.outcome !== 'copied') return
    await removeFolderAtomic(res.path, deps.fs ?? realFs).catch(() => undefined)
    // Deepest first; rmdir leaves a folder something else was put in meanwhile.
    for (const dir of created) await rmdir(dir).catch(() => undefined)
  }
  const stageAfterWrite = async (stage: 'verify' | 'remove'): Promise<void> => {
    ports?.progress?.(stage, 0)
    if (!ports?.signal?.aborted || res.outcome === 'replaced') return
    await takeCopyBack()
    throw cancelledError()
  }
  await stageAfterWrite('verify')
  try {
    await verifyCopy(res.path, files)
  } catch (err) {
    // A copy that does not read back as the original is not left beside it as a second certificate.
    await takeCopyBack()
    throw err
  }
  await stageAfterWrite('remove')
  try {
    await removeFolderAtomic(sourceFolder, deps.sourceFs ?? realFs)
  } catch (err) {
    throw ioError(err, 'source')
  }
  ports?.progress?.('done', 1)
  return res
}

/** Writes a certificate folder into any folder the user picked, as `<dir>/<DN folder>`. */
export async function exportCert(sourceFolder: string, toDir: string, opts: { password?: string; overwrite?: boolean } = {}, deps: StorageDeps = {}): Promise<CopyResult> {
  const fs = deps.fs ?? realFs
  const files = await readCertFiles(sourceFolder)
  if (opts.password !== undefined) checkPassword(files, opts.password, deps.openKey)
  const { folderName } = placementOf(files, sourceFolder)
  const dest = join(resolve(toDir), folderName)
  await recoverFolder(dest, fs).catch(() => undefined)
  const existing = await readExisting(dest)
  if (existing) {
    if (sameFiles(existing, files)) return { path: dest, outcome: 'identical' }
    if (!opts.overwrite) throw new CertError('CONFLICT', 'the folder already holds a different certificate with the same name', { reason: 'different-certificate' })
  }
  try {
    await writeFolderAtomic(dest, files, { replace: opts.overwrite === true, fs })
  } catch (err) {
    throw ioError(err, 'destination')
  }
  return { path: dest, outcome: existing ? 'replaced' : 'copied' }
}
