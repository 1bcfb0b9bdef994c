import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { EMBEDDED_SECRET_HEADER } from '../../shared/embedded-center'
import { z } from 'zod'
import { CertError, toErrorInfo, type ErrorCode } from '../../shared/errors'
import { raRequest, raResponse } from '../../shared/ra/api'
import type { CaFacade } from '../ca/facade'
import { sourceKey } from '../source-throttle'
import type { Ra } from './ra'

export interface RaHttpContext {
  ca: CaFacade
  /**
   * Set only in the embedded center: self-registration and the outbox (which shows the SMS
   * codes) answer a request that carries this per-run secret (EMBEDDED_SECRET_HEADER), and
   * nothing else. Unset (`certmgr center serve`): they do not exist; operators use the CLI.
   */
  embeddedSecret?: string
  /** The request's network source for the throttles (center/client-source.ts); by default the socket's peer. */
  sourceOf?: (req: IncomingMessage) => string
}

const MAX_BODY = 64 * 1024

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  DAMAGED: 400,
  UNSUPPORTED: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CENTER: 422,
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function sendError(res: ServerResponse, err: unknown): void {
  const info = err instanceof CertError ? err.toInfo() : toErrorInfo(err)
  const status = err instanceof CertError ? (STATUS[info.code] ?? 500) : 500
  send(res, status, { error: { code: info.code, message: info.message, params: info.params ?? {} } })
}

/** Whether the request carries the embedded center's per-run secret (compared in constant time). */
function fromEmbeddingApp(req: IncomingMessage, secret: string | undefined): boolean {
  if (secret === undefined) return false
  const given = req.headers[EMBEDDED_SECRET_HEADER]
  if (typeof given !== 'string') return false
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(secret).digest()
  return timingSafeEqual(a, b)
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  // A JSON content type cannot be sent cross-site without a CORS preflight we never answer,
  // so a web page in the user's browser cannot drive the local center.
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new CertError('BAD_REQUEST', 'the request must be JSON (Content-Type: application/json)', { reason: 'content-type' })
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new CertError('BAD_REQUEST', 'the request body is too large', { reason: 'too-large' })
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new CertError('BAD_REQUEST', 'the request body is not valid JSON', { reason: 'json' })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CertError('BAD_REQUEST', 'the request body must be a JSON object', { reason: 'json' })
  return body as Record<string, unknown>
}

/** The body checked against its schema (shared/ra/api.ts); a field outside it is BAD_REQUEST, reason 'body'. */
function parse<S extends z.ZodType>(schema: S, body: Record<string, unknown>): z.output<S> {
  const r = schema.safeParse(body)
  if (r.success) return r.data
  const issue = r.error.issues[0]
  const name = issue?.path.map(String).join('.') || 'body'
  throw new CertError('BAD_REQUEST', `field '${name}' is missing or malformed`, { reason: 'body', field: name })
}

const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64'))

/**
 * The RA's JSON API under /ra/. Returns false for other paths so the caller can route them.
 *
 *   GET  /ra/info                              { name, fees: {limited, general}, renewalWindowDays, renewalCheck, media }
 *   GET  /ra/outbox[?limit=N]                  { messages: [{ id, at, to, channel, text }] }   (embedded center, with its secret)
 *   POST /ra/customers                         {name, idn, phone, account?, medium?} -> { customerId, account, medium, card?: {serial, slots}, otpUri? }   (embedded center, with its secret)
 *   POST /ra/sessions                          {name, idn, account, purpose, serialHex?} -> { sessionId, medium }
 *   GET  /ra/sessions/:id                      { purpose, phoneVerified, mediumVerified, expiresAt }
 *   POST /ra/sessions/:id/phone                {channel: 'sms'|'ars'} -> { expiresAt, to (masked) }
 *   POST /ra/sessions/:id/phone/verify         {code} -> { verified: true }
 *   POST /ra/sessions/:id/medium/challenge     -> { medium: 'card', slots: [a, b] } | { medium: 'otp' }
 *   POST /ra/sessions/:id/medium/verify        {response} -> { verified: true }   (card: first two digits of slot a + last two of slot b)
 *   POST /ra/sessions/:id/codes                {certType} -> { reference, authCode, expiresAt, feeKrw }
 *   POST /ra/sessions/:id/renewal              {serialHex} -> { serialHex, expiresAt }
 *   POST /ra/sessions/:id/revoke               {serialHex, reason: RFC 5280 name or number} -> { serialHex }
 *   GET|POST /ra/sessions/:id/register/challenge  -> { challenge (base64), expiresAt }
 *   POST /ra/sessions/:id/register             {certDer, signature, randomNum} (base64; signature = SHA-256 RSA PKCS#1 v1.5 or ECDSA over the challenge bytes)
 *                                              -> { subject, issuer, serialHex, notAfter }
 *
 * POST bodies must be `Content-Type: application/json`.
 * Errors are `{ error: { code, message, params } }` with a 4xx status; `params.reason` names
 * the failed check for the UI's translation.
 */
export async function handleRaRequest(req: IncomingMessage, res: ServerResponse, ra: Ra, ctx: RaHttpContext): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname
  if (path !== '/ra' && !path.startsWith('/ra/')) return false
  const method = req.method ?? 'GET'
  const embedded = fromEmbeddingApp(req, ctx.embeddedSecret)
  try {
    const parts = path.split('/').filter((p) => p !== '')
    // parts[0] === 'ra'
    const [, head, id, step, sub] = parts
    const post = method === 'POST'
    const get = method === 'GET'

    if (head === 'info' && parts.length === 2 && get) return ok(res, 'info', ra.info())
    if (head === 'outbox' && parts.length === 2 && get) {
      if (!embedded) throw new CertError('NOT_FOUND', 'the outbox is available only in the embedded center', { reason: 'not-embedded' })
      const limit = Number(url.searchParams.get('limit') ?? '20')
      return ok(res, 'outbox', { messages: await ra.outbox(Number.isFinite(limit) ? limit : 20) })
    }
    if (head === 'customers' && parts.length === 2 && post) {
      if (!embedded) throw new CertError('FORBIDDEN', 'self-registration is available only in the embedded center', { reason: 'not-embedded' })
      const body = parse(raRequest.customers, await readJson(req))
      const created = await ra.createCustomer({ name: body.name, idn: body.idn, phone: body.phone, account: body.account, medium: body.medium ?? 'card' }, 'customer')
      return ok(res, 'customers', { customerId: created.customerId, account: created.account, medium: created.medium, ...(created.card ? { card: created.card } : {}), ...(created.otpUri ? { otpUri: created.otpUri } : {}) })
    }
    if (head === 'sessions' && parts.length === 2 && post) {
      const body = parse(raRequest.sessions, await readJson(req))
      const out = await ra.openSession(
        { name: body.name, idn: body.idn, account: body.account, purpose: body.purpose, serialHex: body.serialHex },
        ctx.sourceOf ? ctx.sourceOf(req) : sourceKey(req.socket.remoteAddress),
        ctx.ca,
      )
      return ok(res, 'sessions', out)
    }
    if (head === 'sessions' && id) {
      const route = [step, sub].filter((p) => p !== undefined).join('/')
      if (parts.length > 5) return notFound(res)
      if (route === '' && get) return ok(res, 'sessionState', await ra.sessionState(id))
      if (route === 'register/challenge' && (get || post)) return ok(res, 'registerChallenge', await ra.registerChallenge(id))
      if (!post) return notAllowedOrMissing(res, route)
      const body = await readJson(req)
      switch (route) {
        case 'phone':
          return ok(res, 'phone', await ra.sendPhoneCode(id, parse(raRequest.phone, body).channel ?? 'sms'))
        case 'phone/verify':
          await ra.verifyPhoneCode(id, parse(raRequest.phoneVerify, body).code)
          return ok(res, 'verified', { verified: true })
        case 'medium/challenge':
          return ok(res, 'mediumChallenge', await ra.mediumChallenge(id))
        case 'medium/verify':
          await ra.verifyMedium(id, parse(raRequest.mediumVerify, body).response)
          return ok(res, 'verified', { verified: true })
        case 'codes':
          return ok(res, 'codes', await ra.sessionCodes(id, parse(raRequest.codes, body).certType, ctx.ca))
        case 'renewal':
          return ok(res, 'renewal', await ra.authorizeRenewal(id, parse(raRequest.renewal, body).serialHex, ctx.ca))
        case 'revoke': {
          const r = parse(raRequest.revoke, body)
          return ok(res, 'revoke', await ra.revoke(id, r.serialHex, r.reason, ctx.ca))
        }
        case 'register': {
          const r = parse(raRequest.register, body)
          return ok(res, 'register', await ra.registerForeignCert(id, { certDer: bytes(r.certDer), signature: bytes(r.signature), randomNum: bytes(r.randomNum) }, ctx.ca))
        }
      }
    }
    return notFound(res)
  } catch (err) {
    sendError(res, err)
    return true
  }
}

/** A schema's type without the index signatures of its loose objects (they let a newer center add fields; ours states its own). */
type Declared<T> = T extends readonly unknown[] ? { [K in keyof T]: Declared<T[K]> } : T extends object ? { [K in keyof T as string extends K ? never : K]: Declared<T[K]> } : T

/** An answer, typed by its route's schema in shared/ra/api.ts (the one the client checks it with), so the two cannot drift. */
function ok<R extends Exclude<keyof typeof raResponse, 'error'>>(res: ServerResponse, _route: R, body: Declared<z.input<(typeof raResponse)[R]>>): true {
  send(res, 200, body)
  return true
}

function notFound(res: ServerResponse): true {
  send(res, 404, { error: { code: 'NOT_FOUND', message: 'no such RA endpoint', params: { reason: 'endpoint' } } })
  return true
}

const POST_ROUTES = new Set(['phone', 'phone/verify', 'medium/challenge', 'medium/verify', 'codes', 'renewal', 'revoke', 'register'])

function notAllowedOrMissing(res: ServerResponse, route: string): true {
  if (!POST_ROUTES.has(route)) return notFound(res)
  res.setHeader('allow', 'POST')
  send(res, 405, { error: { code: 'BAD_REQUEST', message: 'use POST for this endpoint', params: { reason: 'method' } } })
  return true
}
