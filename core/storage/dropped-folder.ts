import { stat } from 'node:fs/promises'
import { CertError } from '../../shared/errors'
import { NPKI_NAMES } from '../../shared/cpace/transfer'
import { parseCertificate } from '../certs/parse'
import { fileNamed, ioError, readCertFiles, signCertOf, type CertFiles } from './folder'
import { MAX_CERT_FILE_BYTES } from './regular-file'

/**
 * A certificate folder dropped on the window: its path (Electron's preload names it) or, in the
 * browser host, the bytes of its files as the page read them. The key file stays encrypted
 * under the certificate password either way; nothing here decrypts it.
 */
export type DroppedFolder = { path: string } | { files: { name: string; data: Uint8Array }[] }

/**
 * Reads and checks a dropped folder: a real folder of regular files within the folder reader's
 * caps (path), or only the NPKI file names, each within the certificate file cap (bytes); both
 * need signCert.der and signPri.key and a certificate that parses.
 */
export async function readDroppedFolder(src: DroppedFolder): Promise<CertFiles> {
  let given = 'files' in src ? src.files : []
  if ('path' in src) {
    let isDir: boolean
    try {
      isDir = (await stat(src.path)).isDirectory()
    } catch (err) {
      throw ioError(err, 'source')
    }
    if (!isDir) throw new CertError('NOT_FOUND', 'the dropped item is not a certificate folder', { reason: 'not-cert-folder' })
    const read = await readCertFiles(src.path).catch((err: unknown) => {
      // The folder reader's "signPri.key is missing" gets the reason the UI words for a dropped folder.
      if (err instanceof CertError && err.code === 'NOT_FOUND') throw new CertError('NOT_FOUND', err.message, { reason: 'not-cert-folder' })
      throw err
    })
    given = Object.entries(read).map(([name, data]) => ({ name, data }))
  }
  // One rule for both sources: the folder reader's checks above, then these names and caps.
  const files: CertFiles = {}
  for (const f of given) {
      // Only the four NPKI names: a page cannot write other files into a root through this.
      if (!(NPKI_NAMES as readonly string[]).some((n) => n.toLowerCase() === f.name.toLowerCase())) continue
      if (f.data.length > MAX_CERT_FILE_BYTES) throw new CertError('BAD_REQUEST', `the file is larger than ${MAX_CERT_FILE_BYTES} bytes: ${f.name}`, { reason: 'too-large' })
      if (fileNamed(files, f.name)) throw new CertError('BAD_REQUEST', `${f.name} was given twice`)
      files[f.name] = f.data
  }
  if (!fileNamed(files, 'signCert.der')) throw new CertError('NOT_FOUND', 'signCert.der is missing from the certificate folder', { reason: 'not-cert-folder' })
  if (!fileNamed(files, 'signPri.key')) throw new CertError('NOT_FOUND', 'signPri.key is missing from the certificate folder', { reason: 'not-cert-folder' })
  parseCertificate(signCertOf(files))
  return files
}

/** What the copy dialog shows about a dropped certificate. */
export function describeDropped(files: CertFiles): { owner: string; issuer: string; notAfter: string } {
  const c = parseCertificate(signCertOf(files))
  return { owner: c.owner, issuer: c.issuerName, notAfter: c.notAfter.toISOString() }
}
