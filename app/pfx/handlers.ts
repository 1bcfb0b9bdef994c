import { isAbsolute } from 'node:path'
import type { pfxCalls } from '../../shared/contract/pfx'
import { CertError } from '../../shared/errors'
import { certIdFor, resolveCertFolder } from '../../core/certs/registry'
import type { RootPolicy } from '../../core/roots/root-policy'
import type { Handlers } from '../handler'
import type { RunningOps } from '../running-ops'
import { exportPfx, importPfx } from '../../core/pfx/operations'

function absolute(path: string, what: string): string {
  // Relative paths would resolve against main's working directory, which the user never sees.
  if (!isAbsolute(path)) throw new CertError('BAD_REQUEST', `${what} must be an absolute path`)
  return path
}

export interface PfxDeps {
  /** Where an import goes when no root is named: the policy's default root. */
  roots: RootPolicy
  /** Where an import with an opId runs, so 'enroll.cancel' can stop its key derivation. */
  ops: RunningOps
}

export function createPfxHandlers(deps: PfxDeps): Handlers<typeof pfxCalls> {
  return {
    'pfx.export': async ({ certId, password, pfxPassword, profile, outPath, overwrite }) => {
      const folder = resolveCertFolder(certId)
      const r = await exportPfx(folder, password, absolute(outPath, 'the PFX path'), { profile, overwrite: overwrite === true, ...(pfxPassword !== undefined ? { pfxPassword } : {}) })
      return { path: r.path, profile: r.profile, hasRandomNum: r.hasRandomNum }
    },
    'pfx.import': async ({ opId, path, dataBase64, pfxPassword, keyPassword, root, replace }, ctx) => {
      const source = path !== undefined ? absolute(path, 'the PFX path') : new Uint8Array(Buffer.from(dataBase64 ?? '', 'base64'))
      const run = async (signal?: AbortSignal) => {
        const r = await importPfx(source, pfxPassword, root !== undefined ? absolute(root, 'the NPKI folder') : deps.roots.defaultRoot(), {
          ...(keyPassword !== undefined ? { keyPassword } : {}),
          ...(replace !== undefined ? { replace } : {}),
          ...(signal ? { signal } : {}),
          // Sent while a derivation runs (done < total): once all rounds asked so far are done the
          // file may still ask for more, so that moment is not "100%".
          ...(opId !== undefined ? { onProgress: ({ done, total }) => done < total && ctx.emit({ type: 'progress', progress: { opId, stage: 'pfx-kdf', fraction: done / total } }) } : {}),
        })
        return { folder: r.folder, certId: certIdFor(r.folder), outcome: r.outcome, hasRandomNum: r.hasRandomNum }
      }
      return opId !== undefined ? deps.ops.withOp(opId, run) : run()
    },
  }
}

