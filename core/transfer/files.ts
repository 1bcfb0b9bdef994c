import { stat } from 'node:fs/promises'
import { CertError } from '../../shared/errors'
import { NPKI_NAMES, PFX_NAME, type TransferFile, type TransferFormat } from '../../shared/cpace/transfer'
import { readPfx, writePfx, type PfxProfile } from '../formats/pfx'
import { newPfxPassword } from '../pfx/operations'
import { encryptSignPri, openSignKey } from '../formats/signpri'
import { fileNamed, ioError, readCertFiles, signCertOf, signKeyOf, type CertFiles } from '../storage/folder'
import { writeCertFiles, type CopyResult } from '../storage/operations'
import type { ReceivedFiles } from './listener'
import { readPfxFile } from '../pfx/read-file'

export interface OutgoingOptions {
  /**
   * Certificate password (never sent). Required for every send: the key leaves this PC only
   * for a caller who proved the password here, where wrong guesses are counted (password-guard).
   */
  password?: string
  /** Password of the PFX built for the phone; default the certificate password. */
  pfxPassword?: string
  profile?: PfxProfile
}

function needPassword(password: string | undefined): string {
  if (!password) throw new CertError('BAD_REQUEST', 'sending a certificate needs its password')
  return password
}

/**
 * What goes to the phone, always in password-encrypted form: a PFX file as it is, an NPKI
 * folder's files as they are, or a PFX built from the folder (compatible profile, which
 * Android and iOS import). In every case the certificate password must open the key first:
 * otherwise anyone able to start a send could take the encrypted key away and guess its
 * password offline, past the counted tries.
 */
export async function outgoingFiles(path: string, format: TransferFormat | undefined, opts: OutgoingOptions = {}): Promise<{ format: TransferFormat; files: TransferFile[] }> {
  let isDir: boolean
  try {
    isDir = (await stat(path)).isDirectory()
  } catch (err) {
    throw ioError(err, 'source')
  }
  if (!isDir) {
    if (format === 'npki') throw new CertError('BAD_REQUEST', 'an NPKI transfer needs the certificate folder, not a file')
    const password = needPassword(opts.password)
    let bytes: Uint8Array
    try {
      bytes = await readPfxFile(path)
    } catch (err) {
      throw ioError(err, 'source')
    }
    await readPfx(bytes, password)
    return { format: 'pfx', files: [{ name: PFX_NAME, data: bytes }] }
  }
  const password = needPassword(opts.password)
  const files = await readCertFiles(path)
  const certDer = signCertOf(files)
  const { pkcs8 } = openSignKey(certDer, signKeyOf(files), password)
  if ((format ?? 'npki') === 'npki') {
    const out: TransferFile[] = []
    const hasKm = fileNamed(files, 'kmCert.der') !== undefined && fileNamed(files, 'kmPri.key') !== undefined
    for (const name of NPKI_NAMES) {
      const actual = fileNamed(files, name)
      // A lone km file is useless without its partner; the pair travels together or not at all.
      if (actual && (hasKm || !name.startsWith('km'))) out.push({ name, data: files[actual]! })
    }
    return { format: 'npki', files: out }
  }
  const pfx = await writePfx({ certDer, pkcs8 }, newPfxPassword(password, opts.pfxPassword), opts.profile ?? 'compatible')
  return { format: 'pfx', files: [{ name: PFX_NAME, data: pfx }] }
}

/**
 * Stores what the phone sent as an NPKI folder under `root`, in one atomic folder write
 * (writeCertFiles → writeFolderAtomic).
 * The password must open the key (NPKI) or the PFX; a PFX becomes signCert.der + signPri.key
 * (scheme A) under the same password, randomNum kept.
 */
export async function storeReceived(received: ReceivedFiles, password: string | undefined, root: string, opts: { replace?: boolean } = {}): Promise<CopyResult> {
  let files: CertFiles = {}
  if (received.format === 'npki') {
    for (const f of received.files) files[f.name] = f.data
    // Without a password (CLI only) the files are stored as they came, unverified.
    if (password !== undefined) openSignKey(signCertOf(files), signKeyOf(files), password)
  } else {
    const pfx = received.files.find((f) => f.name === PFX_NAME)?.data
    if (!pfx) throw new CertError('DAMAGED', 'no PFX file received')
    if (password === undefined) throw new CertError('BAD_REQUEST', 'a PFX arrived: its password is needed to store it as an NPKI folder')
    const contents = await readPfx(pfx, password)
    const keyFile = encryptSignPri(contents.pkcs8, password, { scheme: 'A' })
    files = { 'signCert.der': contents.certDer, 'signPri.key': keyFile }
    // A key file that does not open would lock the user out: prove it before writing.
    openSignKey(contents.certDer, keyFile, password)
  }
  return writeCertFiles(files, { toRoot: root, overwrite: opts.replace === true })
}
