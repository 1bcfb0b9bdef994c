import { CertError } from '../../shared/errors'
import { MAX_PFX_BYTES, pfxTooLarge } from '../formats/pfx'
import { readRegularFile } from '../storage/regular-file'

/**
 * Reads a PFX file from disk the way every certificate file is read (regular files only, never
 * blocking on a FIFO or device), within the PFX size limit: the size is checked on the open
 * file before anything is read, so a multi-gigabyte "PFX" on a stick costs nothing, and the
 * refusal names the limit like the reader's own.
 */
export async function readPfxFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readRegularFile(path, MAX_PFX_BYTES))
  } catch (e) {
    if (e instanceof CertError && e.params?.reason === 'too-large') throw pfxTooLarge()
    throw e
  }
}
