import { isAbsolute } from 'node:path'
import { CertError } from '../../shared/errors'
import { importPfx, type ImportPfxResult } from '../pfx/operations'
import type { FsLayer } from '../storage/atomic'
import type { FilePorts } from './ports'

export interface ImportPfxInput {
  /** The PFX file's absolute path, or its bytes where the caller has no path (a file dropped on a page). */
  source: string | Uint8Array
  pfxPassword: string
  /** The NPKI root the certificate goes under, already checked against the roots the caller may write. */
  root: string
  /** A new password for signPri.key (it must pass the NPKI rule); the PFX password when absent. */
  keyPassword?: string
  /** Replace a different certificate, or other key files, already at the destination. */
  replace?: boolean
  iterations?: number
}

/**
 * PFX 가져오기 into `<root>/<CA>/USER/<DN>`, for the import panel and `certmgr import-pfx`
 * alike. Stages: check (the new key password's rule), read, derive (the PFX's key derivation in
 * its worker: the fraction is the rounds done of those asked so far, and a cancel stops the
 * worker), encrypt (the new signPri.key, proved to open), write (one atomic folder write),
 * done. A cancel before 'write' leaves nothing under the root; the PFX file is only read.
 */
export async function importPfxFile(input: ImportPfxInput, ports: FilePorts & { fs?: FsLayer } = {}): Promise<ImportPfxResult> {
  if (typeof input.source === 'string' && !isAbsolute(input.source)) throw new CertError('BAD_REQUEST', 'the PFX path must be an absolute path')
  if (!isAbsolute(input.root)) throw new CertError('BAD_REQUEST', 'the NPKI folder must be an absolute path')
  return importPfx(input.source, input.pfxPassword, input.root, {
    ...(input.keyPassword !== undefined ? { keyPassword: input.keyPassword } : {}),
    ...(input.replace !== undefined ? { replace: input.replace } : {}),
    ...(input.iterations !== undefined ? { iterations: input.iterations } : {}),
    ...(ports.fs ? { fs: ports.fs } : {}),
    ports,
  })
}
