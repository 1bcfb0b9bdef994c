import type { enrollCalls } from '../../shared/contract/enroll'
import { CertError } from '../../shared/errors'
import type { CERT_TYPES } from '../../shared/ra/api'
import { kindOf } from '../../shared/policy'
import type { CertFacts } from '../../core/certs/parse'
import { certIdFor, getFoundCert } from '../../core/certs/registry'
import { RaClient } from '../../core/enroll/ra-client'
import type { Trash } from '../../core/storage/trash'
import type { PinGuard } from '../../core/token/pins'
import type { CenterNow, RenewalJournal } from '../../core/usecases/renewal-journal'
import { issueToFolder, requireNewPassword } from '../../core/usecases/issue-to-folder'
import { issueToToken } from '../../core/usecases/issue-to-token'
import type { UseCaseProgress } from '../../core/usecases/ports'
import { registerForeignCertificate } from '../../core/usecases/register-foreign'
import { renewFolder } from '../../core/usecases/renew-folder'
import { renewOnToken } from '../../core/usecases/renew-token'
import type { HandlerContext, Handlers } from '../handler'
import { rootFor, tokenFor, type DestinationDeps } from './destinations'
import type { WizardState } from './sessions'

export interface EnrollHandlerDeps extends DestinationDeps {
  center: () => { url: string; embedded: boolean }
  trash: Trash
  journal?: RenewalJournal
  centerNow?: CenterNow
  pinGuard: PinGuard
}

function progressOf(ctx: HandlerContext, opId: string): UseCaseProgress {
  return (stage, fraction) => ctx.emit({ type: 'progress', progress: { opId, stage, fraction } })
}

/** What the wizard shows of a certificate a use-case stored, wherever it went. */
function storedResult<L extends string>(certId: string, facts: CertFacts, location: L, path: string) {
  return {
    certId,
    owner: facts.owner,
    kind: kindOf(facts.policyOid),
    issuerName: facts.issuerName,
    serialHex: facts.serialHex,
    notAfter: facts.notAfter.toISOString(),
    location,
    path,
  }
}

/** What the wizard shows of a certificate a use-case put on a token (issued, reissued or renewed). */
function tokenResult(r: { idHex: string; facts: CertFacts }, tokenLabel: string) {
  return { ...storedResult(`token:${r.idHex}`, r.facts, 'token' as const, tokenLabel), token: { label: tokenLabel, idHex: r.idHex } }
}

/**
 * 발급, 재발급, 갱신 and 타기관 등록 from the wizard: each gathers what the renderer chose, checks
 * it against what main knows (session, roots, token modules) and calls the use-case in
 * core/usecases, which holds the guarantees (stored before certConf, a failed store rejected,
 * the replaced certificate in the trash).
 */
export function createEnrollHandlers(deps: EnrollHandlerDeps, state: WizardState): Handlers<typeof enrollCalls> {
  const ra = () => new RaClient(deps.center().url)
  /** The RA hands out the codes only after the phone and the security medium were verified. */
  const codesOf = (sessionId: string, certType: (typeof CERT_TYPES)[number]) => () => ra().call('codes', { sessionId, body: { certType } })

  return {
    'enroll.issue': async (req, ctx) => {
      const dest = req.destination
      const s = state.session(req.sessionId)
      if (s.purpose !== 'issue' && s.purpose !== 'reissue') throw new CertError('BAD_REQUEST', 'this identity check was not made for issuing a certificate')
      const purpose = s.purpose
      if (dest.kind === 'token') {
        const { ref, info } = await tokenFor(deps, dest)
        return state.withOp(req.opId, async (signal) => {
          const r = await issueToToken(
            { purpose, token: ref, pin: dest.pin, session: { guard: deps.pinGuard }, codes: codesOf(req.sessionId, req.certType), searchRoots: await deps.roots.roots() },
            { center: { url: deps.center().url }, trash: deps.trash, progress: progressOf(ctx, req.opId), signal },
          )
          state.close(req.sessionId)
          ctx.emit({ type: 'certs-changed' })
          return {
            ...tokenResult(r, info.label),
            feeKrw: r.feeKrw ?? 0,
            ...(r.revokedSerials[0] ? { revokedSerialHex: r.revokedSerials[0] } : {}),
          }
        })
      }
      requireNewPassword(req.password)
      const password = req.password
      const { root, location } = await rootFor(deps, dest)
      return state.withOp(req.opId, async (signal) => {
        const r = await issueToFolder(
          { purpose, root, password, codes: codesOf(req.sessionId, req.certType), searchRoots: await deps.roots.roots() },
          { center: { url: deps.center().url }, trash: deps.trash, progress: progressOf(ctx, req.opId), signal },
        )
        state.close(req.sessionId)
        ctx.emit({ type: 'certs-changed' })
        return {
          ...storedResult(certIdFor(r.folder), r.facts, location, r.folder),
          feeKrw: r.feeKrw ?? 0,
          ...(r.revokedSerials[0] ? { revokedSerialHex: r.revokedSerials[0] } : {}),
        }
      })
    },

    'enroll.renew': async (req, ctx) => {
      const s = state.session(req.sessionId)
      if (s.purpose !== 'renew') throw new CertError('BAD_REQUEST', 'this identity check was not made for renewal')
      if (req.certId.startsWith('token:')) {
        const idHex = req.certId.slice('token:'.length).toLowerCase()
        if (!req.token || !/^([0-9a-f]{2})+$/.test(idHex)) throw new CertError('BAD_REQUEST', 'a certificate on a security token needs its slot and PIN')
        const pin = req.token.pin
        const { ref, info } = await tokenFor(deps, req.token)
        return state.withOp(req.opId, async (signal) => {
          const r = await renewOnToken(
            {
              token: ref,
              pin,
              session: { guard: deps.pinGuard },
              idHex,
              authorize: async (serialHex) => void (await ra().call('renewal', { sessionId: req.sessionId, body: { serialHex } })),
            },
            { center: { url: deps.center().url }, journal: deps.journal, centerNow: deps.centerNow, progress: progressOf(ctx, req.opId), signal },
          )
          state.close(req.sessionId)
          ctx.emit({ type: 'certs-changed' })
          return tokenResult(r, info.label)
        })
      }
      if (req.password === undefined) throw new CertError('BAD_REQUEST', 'the certificate password is required')
      const password = req.password
      const found = getFoundCert(req.certId)
      if (found.state === 'expired') throw new CertError('CONFLICT', 'an expired certificate cannot be renewed; use reissue', { reason: 'expired' })
      return state.withOp(req.opId, async (signal) => {
        const r = await renewFolder(
          {
            folder: found.path,
            password,
            authorize: async (serialHex) => void (await ra().call('renewal', { sessionId: req.sessionId, body: { serialHex } })),
          },
          { center: { url: deps.center().url }, trash: deps.trash, journal: deps.journal, progress: progressOf(ctx, req.opId), signal },
        )
        state.close(req.sessionId)
        ctx.emit({ type: 'certs-changed' })
        return storedResult(certIdFor(r.folder), r.facts, found.root.location, r.folder)
      })
    },

    'enroll.registerForeign': async (req) => {
      state.session(req.sessionId)
      const found = getFoundCert(req.certId)
      const sessionId = req.sessionId
      return registerForeignCertificate(
        { folder: found.path, password: req.password },
        { challenge: () => ra().call('registerChallenge', { sessionId, body: {} }), register: (body) => ra().call('register', { sessionId, body }) },
      )
    },

    'enroll.cancel': async ({ opId }) => ({ cancelled: state.cancel(opId) }),
  }
}
