import type { CallName, RequestOf, ResponseOf } from '../../../shared/contract/index'
import type { AppEvent } from '../../../shared/contract/progress'
import type { ErrorInfo } from '../../../shared/errors'

export type CallResult = { ok: true; value: unknown } | { ok: false; error: ErrorInfo }

/** What a host provides to the renderer: Electron's preload, or the browser host over HTTP. */
export interface Bridge {
  invoke(name: string, payload: unknown): Promise<CallResult>
  onEvent(cb: (e: AppEvent) => void): () => void
}

/** A failed call, carrying the typed error; the UI shows `t('errors.' + code)`. */
export class ApiError extends Error {
  readonly code: ErrorInfo['code']
  readonly params?: ErrorInfo['params']
  constructor(info: ErrorInfo) {
    super(info.message)
    this.code = info.code
    this.params = info.params
  }
}

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge). */
    certmgr?: Bridge
  }
}

/** The browser host's bridge: the secret arrives in the URL fragment, never in a request log. */
export function webBridge(loc: Location = window.location): Bridge {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('secret')
  if (fromHash) {
    sessionStorage.setItem('certmgr-secret', fromHash)
    history.replaceState(null, '', loc.pathname + loc.search)
  }
  const secret = fromHash ?? sessionStorage.getItem('certmgr-secret') ?? ''
  return {
    async invoke(name, payload) {
      const res = await fetch(`/api/call/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-certmgr-secret': secret },
        body: JSON.stringify(payload ?? {}),
      })
      return (await res.json()) as CallResult
    },
    onEvent(cb) {
      const es = new EventSource(`/api/events?secret=${encodeURIComponent(secret)}`)
      es.onmessage = (m) => cb(JSON.parse(m.data) as AppEvent)
      return () => es.close()
    },
  }
}

export interface Api {
  call<N extends CallName>(name: N, req: RequestOf<N>): Promise<ResponseOf<N>>
  onEvent(cb: (e: AppEvent) => void): () => void
}

/**
 * Calls sent before the app's code was even evaluated (early.ts), each handed to the first
 * identical call the app makes and then forgotten.
 */
const early = new Map<string, Promise<CallResult>>()
const earlyKey = (name: string, req: unknown) => `${name} ${JSON.stringify(req ?? {})}`

export function createApi(bridge: Bridge): Api {
  return {
    async call(name, req) {
      const key = earlyKey(name, req)
      const sent = early.get(key)
      early.delete(key)
      const r = await (sent ?? bridge.invoke(name, req))
      if (!r.ok) throw new ApiError(r.error)
      return r.value as never
    },
    onEvent: (cb) => bridge.onEvent(cb),
  }
}

let current: Api | undefined
export function api(): Api {
  current ??= createApi(window.certmgr ?? webBridge())
  return current
}
/**
 * Sends a call now, for the app to take when it makes the same call (early.ts). The promise
 * returned says when the answer is in; it never fails (the app's own call reports a failure).
 */
export function callEarly<N extends CallName>(name: N, req: RequestOf<N>): Promise<unknown> {
  const bridge = window.certmgr ?? webBridge()
  current ??= createApi(bridge)
  const sent = bridge.invoke(name, req)
  early.set(earlyKey(name, req), sent)
  return sent.catch(() => undefined)
}

/** Tests install their own bridge. */
export function setApi(a: Api): void {
  current = a
}
