import { networkInterfaces } from 'node:os'
import QRCode from 'qrcode'
import { formatCode, type Direction } from '../../shared/cpace/transfer'
import type { transferCalls } from '../../shared/contract/transfer'
import { CertError } from '../../shared/errors'
import { resolveCertFolder } from '../../core/certs/registry'
import type { RootPolicy } from '../../core/roots/root-policy'
import type { Handlers, HandlerContext } from '../handler'
import { outgoingFiles, storeReceived } from '../../core/transfer/files'
import { startReceiveSession, startSendSession, type ListenerOptions, type ReceivedFiles, type ReceiveSession, type SendSession, type TransferState } from '../../core/transfer/listener'
import { defaultRouteInterface } from '../../core/transfer/net'

interface Entry {
  direction: Direction
  send?: SendSession
  receive?: ReceiveSession
  state: TransferState
  received?: ReceivedFiles
}

/** One session at a time: starting another cancels the one before. */
const sessions = new Map<string, Entry>()
const SESSION_TTL_MS = 5 * 60_000

function cancelAll(): void {
  for (const e of sessions.values()) {
    e.send?.cancel()
    e.receive?.cancel()
  }
  sessions.clear()
}

function entryOf(sessionId: string): Entry {
  const e = sessions.get(sessionId)
  if (!e) throw new CertError('NOT_FOUND', 'no such transfer session')
  return e
}

function qrSvg(url: string): Promise<string> {
  // The QR code holds only the session URL: the number never goes into it.
  return QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })
}

/** Extra listener options (tests pass pageDir, shorter delays). */
let listenerDefaults: Partial<ListenerOptions> = {}
export function setTransferListenerDefaults(o: Partial<ListenerOptions>): void {
  listenerDefaults = o
}

function relay(ctx: HandlerContext, entry: () => Entry | undefined): ListenerOptions['onEvent'] {
  return (e) => {
    const en = entry()
    if (en) en.state = e.state
    ctx.emit(e.detail ? { type: 'transfer', sessionId: e.sessionId, state: e.state, detail: e.detail } : { type: 'transfer', sessionId: e.sessionId, state: e.state })
  }
}

export interface TransferDeps {
  /** Where received certificates go when no root is named: the policy's default root. */
  roots: RootPolicy
}

export function createTransferHandlers(deps: TransferDeps): Handlers<typeof transferCalls> {
  return {
    async 'transfer.addresses'() {
      const def = defaultRouteInterface()
      const addresses = Object.entries(networkInterfaces()).flatMap(([name, list]) =>
        (list ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => ({ name, address: i.address, isDefault: name === def })),
      )
      return { addresses }
    },

    async 'transfer.startSend'(req, ctx) {
      const folder = resolveCertFolder(req.certId)
      const out = await outgoingFiles(folder, req.format, { password: req.password, pfxPassword: req.pfxPassword })
      cancelAll()
      const holder: { entry?: Entry } = {}
      const session = await startSendSession({ ...listenerDefaults, files: out.files, format: out.format, host: req.host ?? listenerDefaults.host, onEvent: relay(ctx, () => holder.entry) })
      holder.entry = { direction: 'pc-to-phone', send: session, state: session.state() }
      sessions.set(session.sessionId, holder.entry)
      return { sessionId: session.sessionId, url: session.url, qrSvg: await qrSvg(session.url), expiresInMs: listenerDefaults.ttlMs ?? SESSION_TTL_MS, format: out.format }
    },

    async 'transfer.submitCode'(req) {
      const e = entryOf(req.sessionId)
      if (!e.send) throw new CertError('BAD_REQUEST', 'this copy session shows its own number; the phone types it')
      return e.send.submitCode(req.code)
    },

    async 'transfer.startReceive'(req, ctx) {
      cancelAll()
      const holder: { entry?: Entry } = {}
      const session = await startReceiveSession({ ...listenerDefaults, host: req.host ?? listenerDefaults.host, onEvent: relay(ctx, () => holder.entry) })
      const e: Entry = { direction: 'phone-to-pc', receive: session, state: session.state() }
      holder.entry = e
      sessions.set(session.sessionId, e)
      session.result.then(
        (r) => {
          e.received = r
        },
        () => undefined,
      )
      return { sessionId: session.sessionId, url: session.url, code: formatCode(session.code), qrSvg: await qrSvg(session.url), expiresInMs: listenerDefaults.ttlMs ?? SESSION_TTL_MS }
    },

    async 'transfer.cancel'(req) {
      const e = sessions.get(req.sessionId)
      e?.send?.cancel()
      e?.receive?.cancel()
      if (e && !e.received) sessions.delete(req.sessionId)
      return { ok: true as const }
    },

    async 'transfer.status'(req) {
      const e = entryOf(req.sessionId)
      const state = e.send?.state() ?? e.receive?.state() ?? e.state
      const r = e.received
      return {
        sessionId: req.sessionId,
        direction: e.direction,
        state,
        ...(r
          ? {
              received: {
                format: r.format,
                files: r.files.map((f) => ({ name: f.name, size: f.data.length })),
                ...(r.summary.owner ? { owner: r.summary.owner } : {}),
                ...(r.summary.issuer ? { issuer: r.summary.issuer } : {}),
                ...(r.summary.notAfter ? { notAfter: r.summary.notAfter } : {}),
              },
            }
          : {}),
      }
    },

    async 'transfer.saveReceived'(req, ctx) {
      const e = entryOf(req.sessionId)
      if (!e.received) throw new CertError('CONFLICT', 'nothing has been received in this copy session yet')
      const root = req.root ?? deps.roots.defaultRoot()
      const r = await storeReceived(e.received, req.password, root, { replace: req.replace })
      // The files are stored: drop the in-memory copy.
      sessions.delete(req.sessionId)
      ctx.emit({ type: 'certs-changed' })
      return { folder: r.path, outcome: r.outcome }
    },
  }
}
