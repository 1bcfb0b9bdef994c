import { EMBEDDED_SECRET_HEADER } from '../../shared/embedded-center'
import { CertError, type ErrorParams } from '../../shared/errors'
import { raCallPath, raCalls, raResponse, type RaAnswer, type RaCall, type RaCallArgs } from '../../shared/ra/api'
import { isReasonOf } from '../../shared/reasons'
import { boundedBody } from './bounded-body'

/** The RA's answers are small JSON; one larger than this is not read to its end. */
const MAX_RA_ANSWER_BYTES = 1024 * 1024

/**
 * The RA's JSON API (center/ra/http.ts) seen from main. Errors come back as the RA's typed
 * `{ error: { code, message, params } }`, so the wizard shows the same plain sentence whether
 * the center is embedded or remote; a center that cannot be reached is a NETWORK error. Every
 * answer is checked against its call's schema (shared/ra/api.ts `raCalls`) before a caller
 * sees it, and the type the caller gets is that schema's output: one outside it is CENTER,
 * reason 'body', and an error reason not listed for its code is dropped.
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

  /** One call of the RA's API by name: `ra.call('codes', { sessionId, body: { certType } })`. */
  async call<N extends RaCall>(name: N, args: RaCallArgs<N>): Promise<RaAnswer<N>> {
    if (!this.baseUrl) throw new CertError('NETWORK', 'no certification center is configured', { reason: 'no-center' })
    const spec = raCalls[name]
    const path = raCallPath(name, args.sessionId)
    const body: unknown = args.body
    let res: Response
    try {
      res = await fetch(this.url(path), {
        method: spec.method,
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
      const bytes = await boundedBody(res, MAX_RA_ANSWER_BYTES)
      if (!bytes) throw new CertError('CENTER', 'the certification center answer is too large', { reason: 'size' })
      json = JSON.parse(new TextDecoder().decode(bytes))
    } catch (err) {
      if (err instanceof CertError) throw err
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
    const answer = (spec.response as (typeof raCalls)[N]['response']).safeParse(json)
    if (!answer.success) throw new CertError('CENTER', `the certification center answered ${path} outside the RA API`, { reason: 'body' })
    return answer.data as RaAnswer<N>
  }
}
