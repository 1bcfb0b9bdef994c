import QRCode from 'qrcode'
import { CertError } from '../../shared/errors'
import type { centerCalls } from '../../shared/contract/center'
import { getFoundCert } from '../../core/certs/registry'
import { RaClient } from '../../core/enroll/ra-client'
import type { Handlers } from '../handler'
import type { WizardState } from './sessions'

/**
 * The RA's JSON API proxied by main (the renderer's CSP allows only its own origin, and a
 * remote center is reachable only from main): center info, customer registration, the
 * embedded center's 문자함, and the identity-check steps of a session.
 */
/** `secret`: the embedded center's per-run secret, which opens its outbox and self-registration. */
export function createCenterHandlers(center: () => { url: string; embedded: boolean; secret?: string }, state: WizardState): Handlers<typeof centerCalls> {
  const ra = () => {
    const c = center()
    return new RaClient(c.url, undefined, c.secret)
  }
  return {
    'center.info': async () => {
      const c = center()
      try {
        const info = await new RaClient(c.url, 5_000).call('info', {})
        return { url: c.url, embedded: c.embedded, name: info.name, feesKrw: info.fees, renewalWindowDays: info.renewalWindowDays, reachable: true }
      } catch {
        return { url: c.url, embedded: c.embedded, name: '', feesKrw: { general: 4400, limited: 0 }, renewalWindowDays: 30, reachable: false }
      }
    },
    'center.register': async (req) => {
      const r = await ra().call('customers', {
        body: {
          name: req.name,
          idn: req.idn.replace('-', ''),
          phone: req.phone,
          medium: req.medium,
        },
      })
      return { ...r, ...(r.otpUri ? { otpQr: await QRCode.toDataURL(r.otpUri, { margin: 1, width: 220 }) } : {}) }
    },
    'center.outbox': async () => {
      const r = await ra().call('outbox', {})
      return { messages: r.messages.map((m) => ({ at: m.at, to: m.to, channel: m.channel, text: m.text })) }
    },
    'center.startSession': async (req) => {
      let serialHex: string | undefined
      if (req.certId?.startsWith('token:')) {
        // A token certificate is not in the folder registry; its serial came with 'token.list', and the RA checks it is this customer's.
        if (!req.serialHex) throw new CertError('BAD_REQUEST', 'a certificate on a security token needs its serial number')
        serialHex = req.serialHex.toLowerCase()
      } else if (req.certId) serialHex = getFoundCert(req.certId).facts?.serialHex
      const r = await ra().call('sessions', {
        body: {
          ...(req.name !== undefined ? { name: req.name } : {}),
          ...(req.idn !== undefined ? { idn: req.idn.replace('-', '') } : {}),
          account: req.account,
          purpose: req.purpose,
          ...(serialHex ? { serialHex } : {}),
        },
      })
      state.open(r.sessionId, { purpose: req.purpose, serialHex })
      return r
    },
    'center.sendPhoneCode': async (req) => {
      state.session(req.sessionId)
      return ra().call('phone', { sessionId: req.sessionId, body: { channel: req.channel } })
    },
    'center.verifyPhone': async (req) => {
      state.session(req.sessionId)
      await ra().call('phoneVerify', { sessionId: req.sessionId, body: { code: req.code } })
      return { verified: true as const }
    },
    'center.mediumChallenge': async (req) => {
      state.session(req.sessionId)
      return ra().call('mediumChallenge', { sessionId: req.sessionId, body: {} })
    },
    'center.verifyMedium': async (req) => {
      state.session(req.sessionId)
      await ra().call('mediumVerify', { sessionId: req.sessionId, body: { response: req.response } })
      return { verified: true as const }
    },
  }
}
