import type { keysCalls } from '../../shared/contract/keys'
import { resolveCertFolder } from '../../core/certs/registry'
import type { Handlers } from '../handler'
import { checkPassword, verifyIdentity } from '../../core/keys/keys'
import { changeCertificatePassword } from '../../core/usecases/change-password'
import { runFileOp } from '../file-op'
import { RunningOps } from '../running-ops'

/** `ops`: the password changes running under an opId, which 'keys.cancel' stops (only these). */
export function createKeysHandlers(ops: RunningOps = new RunningOps()): Handlers<typeof keysCalls> {
  return {
    'keys.checkPassword': async ({ certId, password }) => ({ valid: await checkPassword(resolveCertFolder(certId), password) }),
    'keys.changePassword': async ({ opId, certId, oldPassword, newPassword }, ctx) => {
      const folder = resolveCertFolder(certId)
      const r = await runFileOp(ops, opId, ctx, 'changePassword', (ports) => changeCertificatePassword({ folder }, { oldPassword, newPassword }, ports))
      return { ok: true as const, km: r.km }
    },
    'keys.verifyIdentity': async ({ certId, password, idn }) => ({ result: await verifyIdentity(resolveCertFolder(certId), password, idn) }),
    'keys.cancel': async ({ opId }) => ({ cancelled: ops.cancel(opId) }),
  }
}

export const keysHandlers: Handlers<typeof keysCalls> = createKeysHandlers()
