import { isAbsolute } from 'node:path'
import { CertError } from '../../shared/errors'
import type { PfxProfile } from '../formats/pfx'
import { exportPfx, type ExportPfxResult } from '../pfx/operations'
import type { FsLayer } from '../storage/atomic'
import type { FilePorts } from './ports'

export interface ExportPfxInput {
  /** The certificate folder (signCert.der + signPri.key). */
  folder: string
  /** The certificate password: it must open signPri.key before anything is written. */
  password: string
  /** A password of the PFX's own; it must pass the NPKI rule. The certificate password when absent. */
  pfxPassword?: string
  profile: PfxProfile
  /** An absolute path ending in .pfx or .p12. */
  outPath: string
  /** Replace a file already at outPath; without it that is a CONFLICT (reason file-exists), left untouched. */
  overwrite?: boolean
  /** Overrides the profile's iteration count (tests and benchmarks). */
  iterations?: number
}

/** Refuses a PFX path that is relative (it would land beside the process's working directory) or not .pfx/.p12. */
export function requirePfxPath(path: string): void {
  if (!isAbsolute(path)) throw new CertError('BAD_REQUEST', 'the PFX path must be an absolute path')
  // A PFX is written only as a .pfx/.p12 file, never over some other file the caller named.
  if (!/\.(pfx|p12)$/i.test(path)) throw new CertError('BAD_REQUEST', 'the PFX file name must end in .pfx or .p12', { reason: 'pfx-extension' })
}

/**
 * PFX 내보내기: the certificate folder's signing pair as a PFX file, for the export wizard and
 * `certmgr export-pfx` alike. Stages: check (path, PFX password rule, an existing file without
 * overwrite), open (the certificate password), derive (encryption), verify (the file read back
 * and compared), write (atomic, a new file or a confirmed overwrite), done. A cancel before
 * 'write' leaves nothing at outPath.
 */
export async function exportPfxFile(input: ExportPfxInput, ports: FilePorts & { fs?: FsLayer } = {}): Promise<ExportPfxResult> {
  requirePfxPath(input.outPath)
  return exportPfx(input.folder, input.password, input.outPath, {
    profile: input.profile,
    overwrite: input.overwrite === true,
    ...(input.pfxPassword !== undefined ? { pfxPassword: input.pfxPassword } : {}),
    ...(input.iterations !== undefined ? { iterations: input.iterations } : {}),
    ...(ports.fs ? { fs: ports.fs } : {}),
    ports,
  })
}
