import type { pfxCalls } from '../../shared/contract/pfx'
import { PFX_EXPORT_WRITE_FRACTION } from '../../shared/contract/progress'
import { certIdFor, resolveCertFolder } from '../../core/certs/registry'
import type { RootPolicy } from '../../core/roots/root-policy'
import type { FileStage } from '../../core/usecases/ports'
import { exportPfxFile } from '../../core/usecases/pfx-export'
import { importPfxFile } from '../../core/usecases/pfx-import'
import type { Handlers } from '../handler'
import type { RunningOps } from '../running-ops'

export interface PfxDeps {
  /** Where an import goes when no root is named: the policy's default root. */
  roots: RootPolicy
  /**
   * The PFX imports and exports running under an opId, which 'pfx.cancel' stops. The PFX area's
   * own record: an enrollment's cancel never reaches them, nor theirs an enrollment.
   */
  ops: RunningOps
}

/** How far an export is when a stage starts: the encryption and the read-back are its long parts. */
const EXPORT_FRACTION: Partial<Record<FileStage, number>> = { check: 0, open: 0.05, derive: 0.1, verify: 0.55, write: PFX_EXPORT_WRITE_FRACTION }

/**
 * The wizard's side of PFX export and import: these handlers only gather what the request names
 * and call the use-cases (core/usecases/pfx-*.ts), which hold every check; the `certmgr`
 * commands call the same ones.
 */
export function createPfxHandlers(deps: PfxDeps): Handlers<typeof pfxCalls> {
  return {
    'pfx.export': async ({ opId, certId, password, pfxPassword, profile, outPath, overwrite }, ctx) => {
      const run = async (signal?: AbortSignal) => {
        const r = await exportPfxFile(
          { folder: resolveCertFolder(certId), password, profile, outPath, overwrite: overwrite === true, ...(pfxPassword !== undefined ? { pfxPassword } : {}) },
          {
            ...(signal ? { signal } : {}),
            ...(opId !== undefined
              ? {
                  progress: (stage: FileStage) => {
                    const fraction = EXPORT_FRACTION[stage]
                    if (fraction !== undefined) ctx.emit({ type: 'progress', progress: { opId, stage: 'pfx-export', fraction } })
                  },
                }
              : {}),
          },
        )
        return { path: r.path, profile: r.profile, hasRandomNum: r.hasRandomNum }
      }
      return opId !== undefined ? deps.ops.withOp(opId, run) : run()
    },
    'pfx.import': async ({ opId, path, dataBase64, pfxPassword, keyPassword, root, replace }, ctx) => {
      const source = path ?? new Uint8Array(Buffer.from(dataBase64 ?? '', 'base64'))
      const run = async (signal?: AbortSignal) => {
        const r = await importPfxFile(
          {
            source,
            pfxPassword,
            root: root ?? deps.roots.defaultRoot(),
            ...(keyPassword !== undefined ? { keyPassword } : {}),
            ...(replace !== undefined ? { replace } : {}),
          },
          {
            ...(signal ? { signal } : {}),
            // Sent while a derivation runs (fraction < 1): once all rounds asked so far are done
            // the file may still ask for more, so that moment is not "100%".
            ...(opId !== undefined
              ? { progress: (stage: FileStage, fraction: number) => stage === 'derive' && fraction < 1 && ctx.emit({ type: 'progress', progress: { opId, stage: 'pfx-kdf', fraction } }) }
              : {}),
          },
        )
        return { folder: r.folder, certId: certIdFor(r.folder), outcome: r.outcome, hasRandomNum: r.hasRandomNum }
      }
      return opId !== undefined ? deps.ops.withOp(opId, run) : run()
    },
    'pfx.cancel': async ({ opId }) => ({ cancelled: deps.ops.cancel(opId) }),
  }
}
