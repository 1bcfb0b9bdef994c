/**
 * The phone's half of certxfer/v1 over HTTP (fetch only). The phone page uses it, and so do
 * the listener's tests and benchmarks, so what is tested is what the phone runs.
 */
import {
  AD_PHONE,
  decodeFrame,
  encodeFrame,
  fromB64,
  openPayload,
  phoneFinish,
  phoneStart,
  sealPayload,
  toB64,
  type Direction,
  type TransferFile,
  type TransferFormat,
} from './transfer'

export type TransferErrorKind =
  | 'wrong-code'
  | 'locked'
  | 'expired'
  | 'cancelled'
  | 'finished'
  | 'network'
  | 'too-large'
  | 'bad-files'
  | 'tampered'
  | 'protocol'

export class TransferError extends Error {
  constructor(
    readonly kind: TransferErrorKind,
    message: string,
    readonly failuresLeft?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'TransferError'
  }
}

export interface Hello {
  direction: Direction
  sid: Uint8Array
  failuresLeft: number
  retryAfterMs: number
  expiresInMs: number
  maxBytes: number
}

export interface ReceiveHooks {
  /** The PC rejected or mistyped the number; the phone keeps showing it. */
  onWrongCode?(failuresLeft: number): void
  onStage?(stage: 'waiting' | 'verifying' | 'receiving'): void
}

type Fetch = typeof fetch

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function kindOfFinal(error: unknown): TransferErrorKind {
  if (error === 'locked') return 'locked'
  if (error === 'expired') return 'expired'
  if (error === 'cancelled') return 'cancelled'
  if (error === 'done' || error === 'received') return 'finished'
  return 'protocol'
}

export class PhoneClient {
  /**
   * @param base the session URL with a trailing slash (`http://host:port/s/<token>/`)
   * @param origin the listener's origin as this device sees it (location.origin on the phone)
   */
  constructor(
    private readonly base: string,
    private readonly origin: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
  ) {}

  private async request(path: string, init: { json?: unknown; bytes?: Uint8Array }): Promise<{ status: number; body: Record<string, unknown>; bytes?: Uint8Array }> {
    const url = new URL(path, this.base).toString()
    let lastErr: unknown
    // Busy LAN or a listener shedding junk connections: retry network failures a few times.
    for (let i = 0; i < 4; i++) {
      try {
        const res = await this.fetchImpl(url, {
          method: 'POST',
          headers: { 'Content-Type': init.bytes ? 'application/octet-stream' : 'application/json' },
          body: init.bytes ? init.bytes.slice().buffer : JSON.stringify(init.json ?? {}),
        })
        const type = res.headers.get('content-type') ?? ''
        if (type.startsWith('application/octet-stream')) return { status: res.status, body: {}, bytes: new Uint8Array(await res.arrayBuffer()) }
        let body: Record<string, unknown> = {}
        try {
          body = (await res.json()) as Record<string, unknown>
        } catch {
          body = {}
        }
        return { status: res.status, body }
      } catch (err) {
        lastErr = err
        await sleep(200 * (i + 1))
      }
    }
    throw new TransferError('network', `cannot reach the PC (${lastErr instanceof Error ? lastErr.message : 'network error'})`)
  }

  private fail(status: number, body: Record<string, unknown>): never {
    const left = typeof body.failuresLeft === 'number' ? body.failuresLeft : undefined
    const wait = typeof body.retryAfterMs === 'number' ? body.retryAfterMs : undefined
    if (status === 410) throw new TransferError(kindOfFinal(body.error), `session ended: ${String(body.error)}`)
    if (status === 413) throw new TransferError('too-large', 'the files are too large')
    if (status === 422) throw new TransferError('bad-files', typeof body.message === 'string' ? body.message : 'the PC could not read the files')
    if (body.error === 'wrong-code') throw new TransferError('wrong-code', 'the numbers do not match', left, wait)
    if (body.error === 'tampered') throw new TransferError('tampered', 'the message was altered on the way')
    throw new TransferError('protocol', `unexpected answer from the PC (${status} ${String(body.error ?? '')})`, left, wait)
  }

  async hello(): Promise<Hello> {
    const r = await this.request('api/hello', { json: {} })
    if (r.status !== 200) this.fail(r.status, r.body)
    const b = r.body
    if (b.direction !== 'pc-to-phone' && b.direction !== 'phone-to-pc') throw new TransferError('protocol', 'unknown direction')
    return {
      direction: b.direction,
      sid: fromB64(b.sid, 16),
      failuresLeft: Number(b.failuresLeft),
      retryAfterMs: Number(b.retryAfterMs),
      expiresInMs: Number(b.expiresInMs),
      maxBytes: Number(b.maxBytes),
    }
  }

  /** Runs CPace up to the PC's answer; loops over long-poll "pending" answers. */
  private async pake(code: string, direction: Direction, hooks: ReceiveHooks = {}) {
    attempt: for (;;) {
      const h = await this.hello()
      if (h.retryAfterMs > 0) await sleep(h.retryAfterMs)
      const st = phoneStart(code, direction, this.origin, h.sid)
      const msg = { sid: toB64(h.sid), ya: toB64(st.ya), ada: toB64(AD_PHONE) }
      for (;;) {
        hooks.onStage?.('waiting')
        const r = await this.request('api/pake', { json: msg })
        if (r.status === 200 && r.body.pending) continue
        if (r.status === 200) {
          const keys = phoneFinish(st, fromB64(r.body.yb, 32), fromB64(r.body.tb, 64))
          return { sid: h.sid, keys }
        }
        if (r.status === 409 || r.status === 429) {
          if (r.status === 429) await sleep(Number(r.body.retryAfterMs) || 500)
          if (r.body.error === 'busy') await sleep(1000)
          continue attempt
        }
        if (r.status === 403 && r.body.error === 'wrong-code' && direction === 'pc-to-phone') {
          hooks.onWrongCode?.(Number(r.body.failuresLeft))
          continue attempt
        }
        this.fail(r.status, r.body)
      }
    }
  }

  private async abort(sid: Uint8Array): Promise<{ failuresLeft: number; retryAfterMs: number }> {
    const r = await this.request('api/abort', { json: { sid: toB64(sid) } })
    if (r.status === 410) this.fail(r.status, r.body)
    return { failuresLeft: Number(r.body.failuresLeft ?? 0), retryAfterMs: Number(r.body.retryAfterMs ?? 0) }
  }

  /**
   * PC → phone. `code` is the number this phone shows. Returns the decrypted files. A wrong
   * number typed on the PC is reported through hooks.onWrongCode and the phone keeps waiting.
   */
  async receive(code: string, hooks: ReceiveHooks = {}): Promise<{ format: TransferFormat; files: TransferFile[] }> {
    for (;;) {
      const { sid, keys } = await this.pake(code, 'pc-to-phone', hooks)
      hooks.onStage?.('verifying')
      if (!keys.peerOk) {
        const r = await this.abort(sid)
        if (r.failuresLeft <= 0) throw new TransferError('locked', 'too many wrong numbers')
        hooks.onWrongCode?.(r.failuresLeft)
        continue
      }
      const r = await this.request('api/confirm', { json: { sid: toB64(sid), ta: toB64(keys.ta) } })
      if (r.status === 403 && r.body.error === 'wrong-code') {
        hooks.onWrongCode?.(Number(r.body.failuresLeft))
        continue
      }
      if (r.status !== 200 || !r.bytes) this.fail(r.status, r.body)
      hooks.onStage?.('receiving')
      const { header, body } = decodeFrame(r.bytes)
      if (typeof header.manifest !== 'string') throw new TransferError('protocol', 'no manifest')
      try {
        return openPayload(keys.isk, sid, 'pc-to-phone', { manifest: header.manifest, nonce: fromB64(header.nonce, 24), ct: body })
      } catch {
        throw new TransferError('tampered', 'the certificate was altered on the way')
      }
    }
  }

  /** Phone → PC. `code` is the number the PC shows. Throws TransferError('wrong-code') on a mismatch. */
  async send(code: string, format: TransferFormat, files: TransferFile[]): Promise<void> {
    const { sid, keys } = await this.pake(code, 'phone-to-pc')
    if (!keys.peerOk) {
      const r = await this.abort(sid)
      if (r.failuresLeft <= 0) throw new TransferError('locked', 'too many wrong numbers')
      throw new TransferError('wrong-code', 'the numbers do not match', r.failuresLeft, r.retryAfterMs)
    }
    const sealed = sealPayload(keys.isk, sid, 'phone-to-pc', format, files)
    const frame = encodeFrame({ sid: toB64(sid), ta: toB64(keys.ta), manifest: sealed.manifest, nonce: toB64(sealed.nonce) }, sealed.ct)
    const r = await this.request('api/upload', { bytes: frame })
    if (r.status !== 200 || r.body.ok !== true) this.fail(r.status, r.body)
  }
}
