/**
 * The PC side of phone copy: a one-session HTTP listener on one LAN address that serves the
 * phone page and answers CPace. It holds every counter (failed confirmations, delays,
 * lifetime), because the phone page is not trusted to count. See THREAT-MODEL.md.
 */
import { createHash, randomBytes as nodeRandomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { CertError } from '../../shared/errors'
import {
  AD_PC,
  MAX_PAYLOAD_BYTES,
  PROTOCOL,
  SID_BYTES,
  decodeFrame,
  encodeFrame,
  fromB64,
  generateCode,
  manifestProblem,
  normalizeCode,
  normalizeOrigin,
  openPayload,
  pcRespond,
  sealPayload,
  toB64,
  type Direction,
  type Manifest,
  type PcResponse,
  type TransferFile,
  type TransferFormat,
} from '../../shared/cpace/transfer'
import { equalBytes } from '../../shared/cpace/cpace'
import { checkBindHost, pickLanAddress, urlHostPart } from './net'
import { loadPhonePage, type PhonePage } from './page'
import { checkReceived, type ReceivedSummary } from './validate'
import { expandReceived } from './npki-zip'

export type TransferState =
  | 'listening'
  | 'phone-connected'
  | 'awaiting-code'
  | 'verifying'
  | 'wrong-code'
  | 'sending'
  | 'done'
  | 'received'
  | 'locked'
  | 'expired'
  | 'cancelled'
  | 'error'

export const FINAL_STATES: readonly TransferState[] = ['done', 'received', 'locked', 'expired', 'cancelled', 'error']

export interface TransferEvent {
  sessionId: string
  state: TransferState
  detail?: Record<string, string | number | boolean>
}

export interface ListenerOptions {
  /** Address to bind (an IP of one interface). Default: the default-route interface's IPv4. */
  host?: string
  /** Host name put into the URL instead of `host` (tests map a made-up name to 127.0.0.1). */
  urlHost?: string
  port?: number
  onEvent?: (e: TransferEvent) => void
  /** Session (and number) lifetime; default 5 minutes. */
  ttlMs?: number
  /** Failed confirmations before the session is destroyed; default 3. */
  maxFailures?: number
  /** Delay after the n-th failure is retryBaseMs·2^(n-1); default 1 s. */
  retryBaseMs?: number
  /** Idle socket timeout; default 30 s. */
  idleMs?: number
  /** Time the phone has to send its tag once the PC answered; default 30 s. */
  confirmMs?: number
  /** Long-poll wait of the phone for the PC user's number; default 20 s. */
  pollMs?: number
  maxUnauthConnections?: number
  pageDir?: string
  page?: PhonePage
}

export interface SendOptions extends ListenerOptions {
  files: TransferFile[]
  format: TransferFormat
}

export type SubmitResult = { ok: true } | { ok: false; failuresLeft: number; retryAfterMs: number; locked: boolean }

export interface SendSession {
  url: string
  sessionId: string
  /** Runs the PC's half with the number the phone shows; settles when the phone confirmed or failed. */
  submitCode(code: string): Promise<SubmitResult>
  cancel(): void
  state(): TransferState
  /** Resolves when the certificate went out; rejects on lockout, expiry, cancel or error. */
  done: Promise<void>
}

export interface ReceivedFiles {
  format: TransferFormat
  files: TransferFile[]
  summary: ReceivedSummary
}

export interface ReceiveSession {
  url: string
  /** The 12-digit number the PC shows (digits only; show it with formatCode). */
  code: string
  sessionId: string
  result: Promise<ReceivedFiles>
  cancel(): void
  state(): TransferState
}

interface Attempt {
  sid: Uint8Array
  ya: Uint8Array
  ada: Uint8Array
  answer?: PcResponse
  timer?: ReturnType<typeof setTimeout>
  waiters: Set<() => void>
  settle?: (r: SubmitResult) => void
}

const JSON_LIMIT = 4096
/** Frame header + manifest + nonce + tag + ciphertext of the largest allowed payload. */
const UPLOAD_LIMIT = MAX_PAYLOAD_BYTES + 16 + 8192

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error ?? status))
  }
}

const NOT_FOUND_BODY = 'Not Found'

function sha256(s: string | Uint8Array): Buffer {
  return createHash('sha256').update(s).digest()
}

function finalMessage(state: TransferState): string {
  switch (state) {
    case 'locked':
      return 'the session was locked after too many wrong numbers (someone may be guessing)'
    case 'expired':
      return 'the session expired'
    case 'cancelled':
      return 'the session was cancelled'
    case 'done':
    case 'received':
      return 'the session has already finished'
    default:
      return 'the session failed'
  }
}

class TransferSession {
  readonly sessionId = randomUUID()
  readonly token = nodeRandomBytes(16).toString('base64url')
  private readonly tokenHash = sha256(this.token)
  readonly code: string | undefined
  url = ''
  origin = ''
  private _state: TransferState = 'listening'
  private failures = 0
  private nextAllowedAt = 0
  private sid = nodeRandomBytes(SID_BYTES)
  private attempt: Attempt | undefined
  private attemptWaiters = new Set<() => void>()
  private submitting = false
  private closed = false
  private phoneSeen = false
  private readonly server: Server
  private readonly page: PhonePage
  private ttlTimer: ReturnType<typeof setTimeout> | undefined
  private unauth = new Set<Socket>()
  private authed = new WeakSet<Socket>()
  private readonly opts: Required<Pick<ListenerOptions, 'ttlMs' | 'maxFailures' | 'retryBaseMs' | 'idleMs' | 'confirmMs' | 'pollMs' | 'maxUnauthConnections'>>
  private resolveResult!: (r: ReceivedFiles | void) => void
  private rejectResult!: (e: Error) => void
  readonly result: Promise<ReceivedFiles | void>

  constructor(
    readonly direction: Direction,
    private readonly o: ListenerOptions,
    private readonly outgoing?: { files: TransferFile[]; format: TransferFormat },
  ) {
    this.opts = {
      ttlMs: o.ttlMs ?? 5 * 60_000,
      maxFailures: o.maxFailures ?? 3,
      retryBaseMs: o.retryBaseMs ?? 1000,
      idleMs: o.idleMs ?? 30_000,
      confirmMs: o.confirmMs ?? 30_000,
      pollMs: o.pollMs ?? 20_000,
      maxUnauthConnections: o.maxUnauthConnections ?? 16,
    }
    this.code = direction === 'phone-to-pc' ? generateCode() : undefined
    this.page = o.page ?? loadPhonePage(o.pageDir)
    this.result = new Promise((res, rej) => {
      this.resolveResult = res
      this.rejectResult = rej
    })
    // Callers may never await; the rejection is still delivered to those who do.
    this.result.catch(() => undefined)
    this.server = createServer(
      {
        maxHeaderSize: 8192,
        requestTimeout: this.opts.pollMs + 10_000,
        headersTimeout: 10_000,
        keepAliveTimeout: 10_000,
      },
      (req, res) => void this.onRequest(req, res),
    )
    this.server.maxConnections = this.opts.maxUnauthConnections * 2 + 8
    this.server.maxRequestsPerSocket = 200
    this.server.on('connection', (sock: Socket) => this.onConnection(sock))
    this.server.on('clientError', (_err, sock: Socket) => {
      if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      else sock.destroy()
    })
  }

  get state(): TransferState {
    return this._state
  }

  async listen(): Promise<void> {
    const host = checkBindHost(this.o.host ?? pickLanAddress())
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err) => reject(new CertError('NETWORK', `cannot listen on ${host}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)))
      this.server.listen({ host, port: this.o.port ?? 0, exclusive: true }, () => resolve())
    })
    const port = (this.server.address() as AddressInfo).port
    this.origin = normalizeOrigin(`http://${urlHostPart(this.o.urlHost ?? host)}:${port}`)
    this.url = `${this.origin}/s/${this.token}`
    this.ttlTimer = setTimeout(() => this.finish('expired'), this.opts.ttlMs)
    this.emit('listening', { expiresInMs: this.opts.ttlMs })
  }

  private emit(state: TransferState, detail?: TransferEvent['detail']): void {
    if (!FINAL_STATES.includes(this._state) || state === this._state) this._state = state
    try {
      this.o.onEvent?.(detail ? { sessionId: this.sessionId, state, detail } : { sessionId: this.sessionId, state })
    } catch {
      /* a listener's bug must not break the session */
    }
  }

  // ------------------------------------------------------------ connections

  private onConnection(sock: Socket): void {
    // Unauthenticated sockets are capped so junk traffic cannot exhaust the listener; a
    // socket that has shown the token once no longer counts against the cap.
    if (this.unauth.size >= this.opts.maxUnauthConnections) {
      sock.destroy()
      return
    }
    this.unauth.add(sock)
    sock.setTimeout(this.opts.idleMs, () => sock.destroy())
    sock.once('close', () => this.unauth.delete(sock))
  }

  private markAuthed(sock: Socket): void {
    if (this.unauth.delete(sock)) this.authed.add(sock)
  }

  // ------------------------------------------------------------ HTTP

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/s\/([A-Za-z0-9_-]{0,64})(\/[A-Za-z0-9_./-]*)?(?:\?.*)?$/.exec(req.url ?? '')
    // Same work whatever the path: hash and compare, so timing does not reveal how close a guess was.
    const ok = timingSafeEqual(sha256(m?.[1] ?? ''), this.tokenHash) && m !== null
    if (!ok) return this.notFound(res)
    this.markAuthed(req.socket)
    this.commonHeaders(res)
    const sub = m[2] ?? ''
    try {
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (sub === '' || sub === '/' || sub === '/index.html') return this.servePage(res)
        if (sub === '/app.js') return this.serveBytes(res, 'text/javascript; charset=utf-8', this.page.js)
        if (sub === '/app.css') return this.serveBytes(res, 'text/css; charset=utf-8', this.page.css)
        throw new HttpError(404, { error: 'not-found' })
      }
      if (req.method !== 'POST') throw new HttpError(405, { error: 'method' })
      const origin = req.headers.origin
      if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) throw new HttpError(403, { error: 'origin' })
      if (this.closed) throw new HttpError(410, { error: this._state })
      switch (sub) {
        case '/api/hello':
          await this.readJson(req)
          return this.sendJson(res, 200, this.hello())
        case '/api/pake':
          return this.sendJson(res, 200, await this.onPake(await this.readJson(req), req))
        case '/api/abort':
          return this.sendJson(res, 200, this.onAbort(await this.readJson(req)))
        case '/api/confirm':
          return this.onConfirm(await this.readJson(req), res)
        case '/api/upload':
          return this.sendJson(res, 200, await this.onUpload(await this.readBody(req, UPLOAD_LIMIT)))
        default:
          throw new HttpError(404, { error: 'not-found' })
      }
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('Connection', 'close')
        return this.sendJson(res, err.status, err.body)
      }
      return this.sendJson(res, 500, { error: 'internal' })
    }
  }

  private notFound(res: ServerResponse): void {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': NOT_FOUND_BODY.length, Connection: 'close', 'Cache-Control': 'no-store' })
    res.end(NOT_FOUND_BODY)
  }

  private commonHeaders(res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    // The token is in the URL: never let it leak through a Referer.
    res.setHeader('Referrer-Policy', 'no-referrer')
    res.setHeader('X-Frame-Options', 'DENY')
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
    )
  }

  private servePage(res: ServerResponse): void {
    const html = this.page.html.replace('<head>', `<head><base href="/s/${this.token}/">`)
    this.serveBytes(res, 'text/html; charset=utf-8', new TextEncoder().encode(html))
  }

  private serveBytes(res: ServerResponse, type: string, body: Uint8Array): void {
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length })
    res.end(body)
  }

  private sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    if (res.headersSent) return
    const text = JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
    res.end(text)
  }

  private readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (Number.isFinite(declared) && declared > limit) return Promise.reject(new HttpError(413, { error: 'too-large', maxBytes: MAX_PAYLOAD_BYTES }))
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let n = 0
      req.on('data', (c: Buffer) => {
        n += c.length
        if (n > limit) {
          req.removeAllListeners('data')
          req.pause()
          reject(new HttpError(413, { error: 'too-large', maxBytes: MAX_PAYLOAD_BYTES }))
          return
        }
        chunks.push(c)
      })
      req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
      req.on('error', () => reject(new HttpError(400, { error: 'read' })))
    })
  }

  private async readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await this.readBody(req, JSON_LIMIT)
    if (body.length === 0) return {}
    try {
      const v = JSON.parse(new TextDecoder().decode(body)) as unknown
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
    } catch {
      /* fall through */
    }
    throw new HttpError(400, { error: 'bad-json' })
  }

  // ------------------------------------------------------------ protocol

  private hello(): Record<string, unknown> {
    if (!this.phoneSeen) {
      this.phoneSeen = true
      this.emit('phone-connected')
    }
    return {
      v: PROTOCOL,
      direction: this.direction,
      sid: toB64(this.sid),
      failuresLeft: this.opts.maxFailures - this.failures,
      retryAfterMs: Math.max(0, this.nextAllowedAt - Date.now()),
      expiresInMs: this.expiresAt - Date.now(),
      maxBytes: MAX_PAYLOAD_BYTES,
    }
  }

  private readonly startedAt = Date.now()
  private get expiresAt(): number {
    return this.startedAt + this.opts.ttlMs
  }

  private checkSid(v: unknown): Uint8Array {
    let sid: Uint8Array
    try {
      sid = fromB64(v, SID_BYTES)
    } catch {
      throw new HttpError(400, { error: 'bad-request' })
    }
    // A sid from an earlier attempt is a replay or a stale page: refuse, tell the current one.
    if (!equalBytes(sid, this.sid)) throw new HttpError(409, { error: 'stale', sid: toB64(this.sid) })
    return sid
  }

  private async onPake(body: Record<string, unknown>, req: IncomingMessage): Promise<Record<string, unknown>> {
    const sid = this.checkSid(body.sid)
    let ya: Uint8Array
    let ada: Uint8Array
    try {
      ya = fromB64(body.ya, 32)
      ada = fromB64(body.ada)
    } catch {
      throw new HttpError(400, { error: 'bad-request' })
    }
    let att = this.attempt
    if (att && !equalBytes(att.ya, ya)) throw new HttpError(409, { error: 'busy' })
    if (!att) {
      const wait = this.nextAllowedAt - Date.now()
      if (wait > 0) throw new HttpError(429, { error: 'wait', retryAfterMs: wait })
      att = { sid, ya, ada, waiters: new Set() }
      this.attempt = att
      for (const w of [...this.attemptWaiters]) w()
      if (this.direction === 'pc-to-phone') this.emit('awaiting-code')
    }
    if (this.direction === 'phone-to-pc') {
      if (!att.answer) this.answer(att, this.code ?? '')
      if (!this.attempt || this.attempt !== att || !att.answer) throw new HttpError(403, this.wrongBody())
      return { yb: toB64(att.answer.yb), adb: toB64(AD_PC), tb: toB64(att.answer.tb) }
    }
    // PC → phone: wait (long poll) for the PC user to type the number the phone shows.
    if (!att.answer) {
      const a = att
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t)
          a.waiters.delete(done)
          req.socket.off('close', done)
          resolve()
        }
        const t = setTimeout(done, this.opts.pollMs)
        a.waiters.add(done)
        req.socket.once('close', done)
      })
    }
    if (this.closed) throw new HttpError(410, { error: this._state })
    if (this.attempt !== att) throw new HttpError(403, this.wrongBody())
    if (!att.answer) return { pending: true }
    return { yb: toB64(att.answer.yb), adb: toB64(AD_PC), tb: toB64(att.answer.tb) }
  }

  private wrongBody(): Record<string, unknown> {
    if (this.closed) return { error: this._state }
    return { error: 'wrong-code', failuresLeft: this.opts.maxFailures - this.failures, retryAfterMs: Math.max(0, this.nextAllowedAt - Date.now()), sid: toB64(this.sid) }
  }

  /** Computes the PC's answer; from here on the attempt counts as failed unless confirmed. */
  private answer(att: Attempt, code: string): void {
    try {
      att.answer = pcRespond(code, this.direction, this.origin, att.sid, att.ya, att.ada)
    } catch {
      this.fail('invalid-share')
      return
    }
    att.timer = setTimeout(() => {
      if (this.attempt === att) this.fail('timeout')
    }, this.opts.confirmMs)
    this.emit('verifying')
    for (const w of att.waiters) w()
  }

  private onAbort(body: Record<string, unknown>): Record<string, unknown> {
    this.checkSid(body.sid)
    const att = this.attempt
    if (!att) return this.wrongBody()
    if (att.answer) this.fail('mismatch')
    else {
      // Nothing was revealed yet (the PC never answered): drop without counting.
      this.attempt = undefined
      for (const w of att.waiters) w()
    }
    return this.wrongBody()
  }

  private checkTag(att: Attempt | undefined, sid: Uint8Array, ta: unknown): Attempt & { answer: PcResponse } {
    if (!att || !att.answer || !equalBytes(att.sid, sid)) throw new HttpError(409, { error: 'stale', sid: toB64(this.sid) })
    let tag: Uint8Array
    try {
      tag = fromB64(ta, 64)
    } catch {
      tag = new Uint8Array(64)
    }
    if (!equalBytes(tag, att.answer.expectedTa)) {
      this.fail('wrong-tag')
      throw new HttpError(this.closed ? 410 : 403, this.wrongBody())
    }
    clearTimeout(att.timer)
    return att as Attempt & { answer: PcResponse }
  }

  private onConfirm(body: Record<string, unknown>, res: ServerResponse): void {
    if (this.direction !== 'pc-to-phone' || !this.outgoing) throw new HttpError(404, { error: 'not-found' })
    const sid = this.checkSid(body.sid)
    const att = this.checkTag(this.attempt, sid, body.ta)
    this.emit('sending')
    const sealed = sealPayload(att.answer.isk, att.sid, this.direction, this.outgoing.format, this.outgoing.files)
    const frame = encodeFrame({ manifest: sealed.manifest, nonce: toB64(sealed.nonce) }, sealed.ct)
    this.attempt = undefined
    this.closed = true
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': frame.length })
    res.end(frame, () => {
      att.settle?.({ ok: true })
      this.finish('done')
    })
  }

  private async onUpload(bytes: Uint8Array): Promise<Record<string, unknown>> {
    if (this.direction !== 'phone-to-pc') throw new HttpError(404, { error: 'not-found' })
    let header: Record<string, unknown>
    let body: Uint8Array
    try {
      ;({ header, body } = decodeFrame(bytes))
    } catch {
      throw new HttpError(400, { error: 'bad-request' })
    }
    const sid = this.checkSid(header.sid)
    const att = this.checkTag(this.attempt, sid, header.ta)
    // The key is spent either way: the next try needs a fresh CPace run and sid.
    this.attempt = undefined
    this.sid = nodeRandomBytes(SID_BYTES)
    let opened: { format: TransferFormat; files: TransferFile[] }
    try {
      if (typeof header.manifest !== 'string') throw new Error('manifest')
      const m = JSON.parse(header.manifest) as Manifest
      if (manifestProblem(m)) throw new Error('manifest')
      opened = openPayload(att.answer.isk, att.sid, this.direction, { manifest: header.manifest, nonce: fromB64(header.nonce, 24), ct: body })
    } catch {
      // The phone proved the number but the message did not survive: someone altered it.
      this.finish('error', { reason: 'tampered' })
      throw new HttpError(400, { error: 'tampered' })
    }
    let summary: ReceivedSummary
    let files: TransferFile[]
    try {
      // An NPKI zip is unpacked here, once, so everything after (summary, storeReceived) sees plain NPKI files.
      files = expandReceived(opened.format, opened.files)
      summary = checkReceived(opened.format, files)
    } catch (err) {
      this.emit('phone-connected', { reason: 'bad-files' })
      throw new HttpError(422, { error: 'bad-files', message: err instanceof CertError ? err.message : 'the files could not be read', sid: toB64(this.sid) })
    }
    this.closed = true
    this.resolveResult({ format: opened.format, files, summary })
    setImmediate(() => this.finish('received', { format: opened.format }))
    return { ok: true }
  }

  private fail(reason: string): void {
    const att = this.attempt
    this.attempt = undefined
    if (att?.timer) clearTimeout(att.timer)
    this.failures++
    const left = this.opts.maxFailures - this.failures
    this.sid = nodeRandomBytes(SID_BYTES)
    if (left <= 0) {
      att?.settle?.({ ok: false, failuresLeft: 0, retryAfterMs: 0, locked: true })
      if (att) for (const w of att.waiters) w()
      this.finish('locked')
      return
    }
    const delay = this.opts.retryBaseMs * 2 ** (this.failures - 1)
    this.nextAllowedAt = Date.now() + delay
    this.emit('wrong-code', { failuresLeft: left, retryAfterMs: delay, reason })
    att?.settle?.({ ok: false, failuresLeft: left, retryAfterMs: delay, locked: false })
    if (att) for (const w of att.waiters) w()
  }

  // ------------------------------------------------------------ PC user

  async submitCode(input: string): Promise<SubmitResult> {
    if (this.direction !== 'pc-to-phone') throw new CertError('BAD_REQUEST', 'this copy session shows its own number; the phone types it')
    const code = normalizeCode(input)
    if (!code) throw new CertError('BAD_REQUEST', 'the number must have 12 digits')
    if (this.closed) throw new CertError('TRANSFER', finalMessage(this._state), { state: this._state })
    if (this.submitting) throw new CertError('CONFLICT', 'a number is already being checked')
    this.submitting = true
    try {
      const att = await this.waitForAttempt()
      const result = new Promise<SubmitResult>((resolve) => {
        att.settle = resolve
      })
      this.answer(att, code)
      return await result
    } finally {
      this.submitting = false
    }
  }

  private waitForAttempt(): Promise<Attempt> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) {
          this.attemptWaiters.delete(check)
          reject(new CertError('TRANSFER', finalMessage(this._state), { state: this._state }))
          return true
        }
        const a = this.attempt
        if (a && !a.answer) {
          this.attemptWaiters.delete(check)
          resolve(a)
          return true
        }
        return false
      }
      if (!check()) this.attemptWaiters.add(check)
    })
  }

  cancel(): void {
    this.finish('cancelled')
  }

  finish(state: TransferState, detail?: TransferEvent['detail']): void {
    if (FINAL_STATES.includes(this._state)) return
    this.closed = true
    clearTimeout(this.ttlTimer)
    const att = this.attempt
    this.attempt = undefined
    if (att?.timer) clearTimeout(att.timer)
    this.emit(state, detail)
    att?.settle?.({ ok: false, failuresLeft: Math.max(0, this.opts.maxFailures - this.failures), retryAfterMs: 0, locked: state === 'locked' })
    if (att) for (const w of att.waiters) w()
    for (const w of [...this.attemptWaiters]) w()
    if (state === 'done') this.resolveResult()
    else if (state !== 'received') this.rejectResult(new CertError(state === 'cancelled' ? 'CANCELLED' : 'TRANSFER', finalMessage(state), { state }))
    this.server.close()
    // Let the last response flush, then drop every socket (idle keep-alives included).
    setTimeout(() => this.server.closeAllConnections(), 50).unref()
  }
}

/** PC → phone: the phone shows the number, the PC user types it, the PC sends the files. */
export async function startSendSession(opts: SendOptions): Promise<SendSession> {
  const m: Manifest = { v: 1, format: opts.format, files: opts.files.map((f) => ({ name: f.name, size: f.data.length })) }
  const problem = manifestProblem(m)
  if (problem) throw new CertError('BAD_REQUEST', problem)
  const s = new TransferSession('pc-to-phone', opts, { files: opts.files, format: opts.format })
  await s.listen()
  const done = s.result.then(() => undefined)
  done.catch(() => undefined)
  return {
    url: s.url,
    sessionId: s.sessionId,
    submitCode: (code) => s.submitCode(code),
    cancel: () => s.cancel(),
    state: () => s.state,
    done,
  }
}

/** Phone → PC: the PC shows the number, the phone types it and uploads the files. */
export async function startReceiveSession(opts: ListenerOptions = {}): Promise<ReceiveSession> {
  const s = new TransferSession('phone-to-pc', opts)
  await s.listen()
  const result = s.result.then((r) => {
    if (!r) throw new CertError('INTERNAL', 'no files received')
    return r
  })
  result.catch(() => undefined)
  return {
    url: s.url,
    code: s.code ?? '',
    sessionId: s.sessionId,
    result,
    cancel: () => s.cancel(),
    state: () => s.state,
  }
}
