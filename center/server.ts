import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { CertError } from '../shared/errors'
import type { Ca } from './ca/ca'
import type { CmpService } from './cmp/service'
import type { CenterConfig } from './config'
import { handleRaRequest } from './ra/http'
import { clientSource, parseTrustedProxies } from './client-source'
import type { Ra } from './ra/ra'

export const CMP_CONTENT_TYPE = 'application/pkixcmp'

/** /.well-known/cmp and /.well-known/cmp/p/<ca-name>[/<operation>] (RFC 9811 3.3). The body decides the operation. */
/**
 * How old the CRL `/crl` serves may be: an older one is re-signed on request. A client settling
 * a renewal accepts only a CRL issued after the renewal started (see crlNotBefore in the app).
 */
const CRL_MAX_AGE_MS = 1_000

const CMP_PATH = /^\/\.well-known\/cmp(?:\/p\/[A-Za-z0-9._~-]{1,64}(?:\/[A-Za-z0-9._~-]{1,64})?)?\/?$/

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
  res.end(text + '\n')
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the caller answers 413). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0')
    if (declared > limit) {
      req.resume()
      resolve(undefined)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) over = true
      else chunks.push(c)
    })
    req.on('end', () => resolve(over ? undefined : new Uint8Array(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

export interface CenterParts {
  config: CenterConfig
  ca: Ca
  cmp: CmpService
  ra: Ra
  /** The embedded center's per-run secret (see center/ra/http.ts); unset for `center serve`. */
  embeddedSecret?: string
}

/**
 * Whether a Host header names this center: an IP literal (no DNS name, so no rebinding),
 * `localhost`, the name it was bound to, or a name the operator allowed.
 */
export function hostAllowed(hostHeader: string | undefined, config: Pick<CenterConfig, 'host' | 'allowedHosts'>): boolean {
  if (!hostHeader) return false
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(hostHeader.trim())
  if (!m) return false
  const name = (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '')
  if (isIP(name) !== 0) return true
  if (name === 'localhost') return true
  const bound = config.host.toLowerCase()
  if (isIP(bound) === 0 && name === bound) return true
  return config.allowedHosts.some((h) => h.toLowerCase() === name)
}

async function handleCmp(req: IncomingMessage, res: ServerResponse, parts: CenterParts, source: string): Promise<void> {
  if (req.method !== 'POST') return plain(res, 405, 'CMP requests are POSTed', { Allow: 'POST' })
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== CMP_CONTENT_TYPE) return plain(res, 415, `Content-Type must be ${CMP_CONTENT_TYPE}`)
  const body = await readBody(req, parts.config.maxMessageBytes)
  if (!body) return plain(res, 413, 'CMP message too large')
  let answer: Uint8Array
  try {
    answer = await parts.cmp.handle(body, { source })
  } catch (err) {
    // Only bytes that are not a PKIMessage at all end up here; everything parsable got a PKIMessage.
    if (err instanceof CertError && (err.code === 'BAD_REQUEST' || err.code === 'DAMAGED')) return plain(res, 400, err.message)
    throw err
  }
  res.writeHead(200, { 'Content-Type': CMP_CONTENT_TYPE, 'Content-Length': String(answer.length), 'Cache-Control': 'no-store' })
  res.end(answer)
}

/** One HTTP server for the CMP endpoint, the CRL, the CA certificate and the RA's JSON API. */
export function createCenterServer(parts: CenterParts): Server {
  const proxies = parseTrustedProxies(parts.config.trustedProxies)
  const sourceOf = (req: IncomingMessage): string => clientSource(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies)
  return createServer((req, res) => {
    // Whatever address the center is bound to, only its own names are answered, so a web page
    // whose name an attacker points at it (DNS rebinding) cannot drive it from a browser.
    if (!hostAllowed(req.headers.host, parts.config)) return plain(res, 403, 'unexpected Host header')
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = async (): Promise<void> => {
      if (CMP_PATH.test(path)) return handleCmp(req, res, parts, sourceOf(req))
      if (path === '/crl' && (req.method === 'GET' || req.method === 'HEAD')) {
        const crl = await parts.ca.freshCrlDer(CRL_MAX_AGE_MS)
        res.writeHead(200, { 'Content-Type': 'application/pkix-crl', 'Content-Length': String(crl.length), 'Cache-Control': 'no-cache' })
        res.end(req.method === 'HEAD' ? undefined : crl)
        return
      }
      if (path === '/ca.crt' && (req.method === 'GET' || req.method === 'HEAD')) {
        const der = parts.ca.caCertDer()
        res.writeHead(200, { 'Content-Type': 'application/pkix-cert', 'Content-Length': String(der.length) })
        res.end(req.method === 'HEAD' ? undefined : der)
        return
      }
      if (await handleRaRequest(req, res, parts.ra, { ca: parts.ca, embeddedSecret: parts.embeddedSecret, sourceOf })) return
      plain(res, 404, 'not found')
    }
    route().catch(() => {
      if (!res.headersSent) plain(res, 500, 'internal error')
      else res.destroy()
    })
  })
}
