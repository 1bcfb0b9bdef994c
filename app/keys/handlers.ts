import type { keysCalls } from '../../shared/contract/keys'
import { resolveCertFolder } from '../../core/certs/registry'
import type { Handlers } from '../handler'
import { checkPassword, verifyIdentity } from '../../core/keys/keys'
import { changeCertificatePassword } from '../../core/usecases/change-password'

export const keysHandlers: Handlers<typeof keysCalls> = {
  'keys.checkPassword': async ({ certId, password }) => ({ valid: await checkPassword(resolveCertFolder(certId), password) }),
  'keys.changePassword': async ({ certId, oldPassword, newPassword }) => {
    const r = await changeCertificatePassword({ folder: resolveCertFolder(certId) }, { oldPassword, newPassword })
    return { ok: true as const, km: r.km }
  },
  'keys.verifyIdentity': async ({ certId, password, idn }) => ({ result: await verifyIdentity(resolveCertFolder(certId), password, idn) }),
}
