import { stat } from 'node:fs/promises'
import { CertError } from '../../shared/errors'
import { checkNewPassword } from '../../shared/password-rule'
import { parseCertificate } from '../certs/parse'
import { readPfx, writePfx, type KdfProgress, type PfxProfile } from '../formats/pfx'
import { decryptSignPri, encryptSignPri, openSignKey, readRandomNum } from '../formats/signpri'
import { realFs, writeFileAtomic, writeFolderAtomic, type FsLayer } from '../storage/atomic'
import { fileNamed, ioError, readCertFiles, sameBytes, signCertOf, signKeyOf, type CertFiles } from '../storage/folder'
import { destinationFolder } from '../storage/operations'
import { fileExistsError, writeNewFile } from '../storage/write-new-file'
import { readPfxFile } from './read-file'
import { enterStage, type FilePorts } from '../progress/file-stages'

/**
 * NPKI folder ↔ PFX conversion. Both directions carry the PKCS#8 bytes unchanged, so the
 * randomNum attribute that identity checks need survives the trip.
 */

export interface ExportPfxOptions {
  /** Password of the new PFX; the certificate's own password when absent. */
  pfxPassword?: string
  profile: PfxProfile
  /** Replace a file already at the destination; without it that is a CONFLICT (reason file-exists). */
  overwrite?: boolean
  /** Overrides the profile's iteration count (tests and benchmarks). */
  iterations?: number
  fs?: FsLayer
  /** Progress by stage, and a cancel honoured between stages and inside the key derivation (nothing is written before 'write'). */
  ports?: FilePorts
}

export interface ExportPfxResult {
  path: string
  profile: PfxProfile
  /** Whether the exported key carries randomNum (so identity checks keep working after import). */
  hasRandomNum: boolean
}

export interface ImportPfxOptions {
  /** Password for the new signPri.key; the PFX password when absent. */
  keyPassword?: string
  /** Replace a different certificate (or different key files) already at the destination. */
  replace?: boolean
  iterations?: number
  fs?: FsLayer
  /**
   * Progress by stage ('derive' reports the key derivation's rounds done of those asked so far)
   * and a cancel: it stops the PFX's key derivation (its worker is terminated) or the next
   * stage; nothing is written. CANCELLED.
   */
  ports?: FilePorts
}

export type ImportOutcome = 'created' | 'replaced' | 'identical'

export interface ImportPfxResult {
  /** `<root>/<CA>/USER/<subject DN>` */
  folder: string
  outcome: ImportOutcome
  hasRandomNum: boolean
}

function hasRandomNum(pkcs8: Uint8Array): boolean {
  try {
    return readRandomNum(pkcs8) !== undefined
  } catch {
    return false
  }
}

function friendlyNameOf(certDer: Uint8Array): string | undefined {
  try {
    return parseCertificate(certDer).owner || undefined
  } catch {
    return undefined
  }
}

/**
 * The password a new PFX gets: a password of its own must pass the NPKI rule (a PFX travels by
 * e-mail and stick, so it is open to offline guessing; '1' would give a file anyone opens).
 * Keeping the certificate password is allowed, as for an imported key: that one was set under
 * the rule or predates it, and refusing it would only push users to type it again as "new".
 * Every path that builds a PFX for someone (export, phone copy) asks this one function.
 */
export function newPfxPassword(certPassword: string, pfxPassword: string | undefined): string {
  if (pfxPassword === undefined || pfxPassword === certPassword) return certPassword
  const rule = checkNewPassword(pfxPassword)
  if (!rule.ok) throw new CertError('PASSWORD_RULE', `the PFX password is too weak: ${rule.message}`, { rule: rule.rule })
  return pfxPassword
}

/**
 * Writes the certificate folder's signing pair as a PFX. The certificate password must open
 * signPri.key (WRONG_PASSWORD otherwise). The file is read back and compared before it is
 * put in place, because users often delete the original once they hold the PFX.
 */
export async function exportPfx(folder: string, certPassword: string, outFile: string, opts: ExportPfxOptions): Promise<ExportPfxResult> {
  const ports = opts.ports
  enterStage(ports, 'check', 0)
  const pfxPassword = newPfxPassword(certPassword, opts.pfxPassword)
  // Refused before the key is opened; writeNewFile checks again when it puts the file in place.
  if (!opts.overwrite && (await stat(outFile).then(() => true, () => false))) throw fileExistsError(outFile)
  enterStage(ports, 'open', 0)
  const files = await readCertFiles(folder)
  const certDer = signCertOf(files)
  const { pkcs8 } = openSignKey(certDer, signKeyOf(files), certPassword)
  const friendlyName = friendlyNameOf(certDer)
  enterStage(ports, 'derive', 0)
  // The derivation runs in the key-derivation worker and hears a cancel there: nothing is written.
  const pfx = await writePfx({ certDer, pkcs8, ...(friendlyName ? { friendlyName } : {}) }, pfxPassword, opts.profile, {
    ...(opts.iterations ? { iterations: opts.iterations } : {}),
    ...(ports?.signal ? { signal: ports.signal } : {}),
  })
  enterStage(ports, 'verify', 0)
  const back = await readPfx(pfx, pfxPassword, ports?.signal ? { signal: ports.signal } : {})
  if (!sameBytes(back.pkcs8, pkcs8) || !sameBytes(back.certDer, certDer)) throw new CertError('INTERNAL', 'the written PFX did not verify')
  // The last moment a cancel is heard: once the file is being put in place the export completes.
  enterStage(ports, 'write', 0)
  try {
    if (opts.fs) await writeFileAtomic(outFile, pfx, opts.fs)
    else await writeNewFile(outFile, pfx, { overwrite: opts.overwrite === true })
  } catch (err) {
    if (err instanceof CertError) throw err
    throw ioError(err, 'destination')
  }
  ports?.progress?.('done', 1)
  return { path: outFile, profile: opts.profile, hasRandomNum: hasRandomNum(pkcs8) }
}

async function readExisting(dest: string): Promise<CertFiles | undefined> {
  const exists = await stat(dest).then(
    () => true,
    () => false,
  )
  if (!exists) return undefined
  try {
    return await readCertFiles(dest)
  } catch {
    // A damaged or partial folder counts as "something different": replace decides.
    return {}
  }
}

/** Whether the existing key file already opens with this password to exactly this key. */
function sameKey(existing: CertFiles, pkcs8: Uint8Array, password: string): boolean {
  const name = fileNamed(existing, 'signPri.key')
  if (!name) return false
  try {
    return sameBytes(decryptSignPri(existing[name]!, password).pkcs8, pkcs8)
  } catch {
    return false
  }
}

/**
 * Imports a PFX as an NPKI folder `<root>/<CA>/USER/<DN>` with signCert.der and signPri.key
 * (scheme A, what every Korean bank program reads). A new key password must satisfy the NPKI
 * rule; keeping the PFX password is allowed even when it is older or shorter than the rule.
 * An existing folder with a different certificate, or this certificate under other key files,
 * is a CONFLICT unless `replace` is set; its km pair and other files stay when it is the same
 * certificate.
 */
/** `pfxFile` is the PFX's path, or its bytes when the caller has no path (a file dropped on a page). */
export async function importPfx(pfxFile: string | Uint8Array, pfxPassword: string, root: string, opts: ImportPfxOptions = {}): Promise<ImportPfxResult> {
  const ports = opts.ports
  enterStage(ports, 'check', 0)
  const keyPassword = opts.keyPassword ?? pfxPassword
  if (opts.keyPassword !== undefined && opts.keyPassword !== pfxPassword) {
    const rule = checkNewPassword(opts.keyPassword)
    if (!rule.ok) throw new CertError('PASSWORD_RULE', rule.message, { rule: rule.rule })
  }
  enterStage(ports, 'read', 0)
  let bytes: Uint8Array
  try {
    bytes = typeof pfxFile === 'string' ? await readPfxFile(pfxFile) : pfxFile
  } catch (err) {
    throw ioError(err, 'source')
  }
  enterStage(ports, 'derive', 0)
  const progress = ports?.progress
  const pfx = await readPfx(bytes, pfxPassword, {
    ...(ports?.signal ? { signal: ports.signal } : {}),
    ...(progress ? { onProgress: ({ done, total }: KdfProgress) => progress('derive', total > 0 ? done / total : 0) } : {}),
  })
  // A cancel that lands after the last derivation still means "do not import".
  enterStage(ports, 'encrypt', 0)
  const keyFile = encryptSignPri(pfx.pkcs8, keyPassword, { scheme: 'A', ...(opts.iterations ? { iterations: opts.iterations } : {}) })
  // A key file that does not open would lock the user out: prove it before writing.
  if (!sameBytes(decryptSignPri(keyFile, keyPassword).pkcs8, pfx.pkcs8)) throw new CertError('INTERNAL', 'the new key file did not verify')

  let dest: string
  try {
    dest = await destinationFolder(root, { 'signCert.der': pfx.certDer })
  } catch (err) {
    throw ioError(err, 'destination')
  }
  const files: CertFiles = { 'signCert.der': pfx.certDer, 'signPri.key': keyFile }
  const existing = await readExisting(dest)
  let outcome: ImportOutcome = 'created'
  if (existing) {
    const certName = fileNamed(existing, 'signCert.der')
    const sameCert = certName !== undefined && sameBytes(existing[certName]!, pfx.certDer)
    if (sameCert && sameKey(existing, pfx.pkcs8, keyPassword)) {
      ports?.progress?.('done', 1)
      return { folder: dest, outcome: 'identical', hasRandomNum: hasRandomNum(pfx.pkcs8) }
    }
    if (!opts.replace) {
      throw new CertError(
        'CONFLICT',
        sameCert ? 'the destination holds this certificate with a different key file or password' : 'the destination holds a different certificate with the same name',
        { reason: sameCert ? 'key-differs' : 'different-certificate' },
      )
    }
    if (sameCert) {
      // Keep kmCert.der/kmPri.key and anything else that belongs to this certificate.
      for (const [name, data] of Object.entries(existing)) {
        const lower = name.toLowerCase()
        if (lower !== 'signcert.der' && lower !== 'signpri.key') files[name] = data
      }
    }
    outcome = 'replaced'
  }
  enterStage(ports, 'write', 0)
  try {
    await writeFolderAtomic(dest, files, { replace: opts.replace === true, fs: opts.fs ?? realFs })
  } catch (err) {
    throw ioError(err, 'destination')
  }
  ports?.progress?.('done', 1)
  return { folder: dest, outcome, hasRandomNum: hasRandomNum(pfx.pkcs8) }
}
