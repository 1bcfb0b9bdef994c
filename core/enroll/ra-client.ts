import { EMBEDDED_SECRET_HEADER } from '../../shared/embedded-center'
import { CertError, type ErrorParams } from '../../shared/errors'
import { raResponse, raRouteOf } from '../../shared/ra/api'
import { isReasonOf } from '../../shared/reasons'

/**
 * The RA's JSON API (center/ra/http.ts) seen from main. Errors come back as the RA's typed
 * `{ error: { code, message, params } }`, so the wizard shows the same plain sentence whether
 * the center is embedded or remote; a center that cannot be reached is a NETWORK error. Every
 * answer is checked against its schema (shared/ra/api.ts) before a caller sees it: one outside
 * it is CENTER, reason 'body', and an error reason not listed for its code is dropped.
 */
export class RaClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 15_000,
    /** The embedded center's per-run secret, which opens its outbox and self-registration. */
    private readonly embeddedSecret?: string,
  ) {}

  private url(path: string): string {
    return this.baseUrl.replace(/\/+$/, '') + path
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    if (!this.baseUrl) throw new CertError('NETWORK', 'no certification center is configured', { reason: 'no-center' })
    let res: Response
    try {
      res = await fetch(this.url(path), {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.embeddedSecret ? { [EMBEDDED_SECRET_HEADER]: this.embeddedSecret } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch {
      throw new CertError('NETWORK', 'the certification center could not be reached', { reason: 'unreachable' })
    }
    let json: unknown
    try {
      json = await res.json()
    } catch {
      throw new CertError('CENTER', `the certification center answered HTTP ${res.status} without a readable body`, { reason: 'protocol' })
    }
    if (!res.ok) {
      const e = raResponse.error.safeParse(json)
      if (!e.success) throw new CertError('CENTER', `the certification center refused the request (HTTP ${res.status})`, { reason: 'http' })
      const { code, message, params } = e.data.error
      const { reason, ...rest } = params ?? {}
      const checked: ErrorParams = isReasonOf(code, reason) ? { ...rest, reason } : rest
      throw new CertError(code, message, params ? checked : undefined)
    }
    const route = raRouteOf(method, path)
    const answer = route ? raResponse[route].safeParse(json) : undefined
    if (!answer?.success) throw new CertError('CENTER', `the certification center answered ${path} outside the RA API`, { reason: 'body' })
    // The schema has checked the shape; T is the caller's name for it.
    return answer.data as T
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path)
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body)
  }
}
