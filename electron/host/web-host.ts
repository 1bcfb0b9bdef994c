import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AppEvent } from '../../shared/contract/progress'
import type { AppServices } from '../../app/app-services'
import { APP_CSP, readStatic } from './static-files'

/**
 * The browser host: the built renderer and the same dispatcher Electron uses, over loopback
 * HTTP, for development and end-to-end tests in any Chromium. Three guards stand in for
 * Electron's sender check: a per-run secret (header, or query for the event stream), the
 * Origin of state-changing requests, and the Host header (against DNS rebinding).
 */
export interface WebHost {
  url: string
  origin: string
  secret: string
  close(): Promise<void>
}

const MAX_BODY = 1024 * 1024

function secretMatches(expected: Buffer, given: string | undefined): boolean {
  if (!given) return false
  const g = Buffer.from(given)
  return g.length === expected.length && timingSafeEqual(g, expected)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

function forbidden(res: ServerResponse, why: string): void {
  json(res, 403, { ok: false, error: { code: 'FORBIDDEN', message: why } })
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) return undefined
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startWebHost(opts: { services: AppServices; staticDir: string; port?: number; host?: string }): Promise<WebHost> {
  const secret = randomBytes(24).toString('hex')
  const secretBuf = Buffer.from(secret)
  const host = opts.host ?? '127.0.0.1'
  const streams = new Set<ServerResponse>()
  let origin = ''
  let allowedHosts: string[] = []

  const onEvent = (e: AppEvent) => {
    const line = `data: ${JSON.stringify(e)}\n\n`
    for (const s of streams) s.write(line)
  }
  opts.services.events.on('event', onEvent)

  const server = createServer(async (req, res) => {
    try {
      if (!allowedHosts.includes(req.headers.host ?? '')) return forbidden(res, 'unexpected Host header')
      const url = new URL(req.url ?? '/', origin)
      if (url.pathname.startsWith('/api/')) {
        if (req.method === 'POST' && url.pathname.startsWith('/api/call/')) {
          if (req.headers.origin !== origin) return forbidden(res, 'foreign origin')
          if (!secretMatches(secretBuf, req.headers['x-certmgr-secret'] as string | undefined)) return forbidden(res, 'missing or wrong secret')
          const body = await readBody(req)
          if (body === undefined) return json(res, 413, { ok: false, error: { code: 'BAD_REQUEST', message: 'request too large' } })
          let payload: unknown
          try {
            payload = body ? JSON.parse(body) : {}
          } catch {
            return json(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: 'malformed JSON' } })
          }
          const name = decodeURIComponent(url.pathname.slice('/api/call/'.length))
          const result = await opts.services.dispatch(name, payload, { emit: (e) => opts.services.events.emit('event', e) })
          return json(res, 200, result)
        }
        if (req.method === 'GET' && url.pathname === '/api/events') {
          if (!secretMatches(secretBuf, url.searchParams.get('secret') ?? undefined)) return forbidden(res, 'missing or wrong secret')
          const site = req.headers['sec-fetch-site']
          if (site && site !== 'same-origin') return forbidden(res, 'foreign origin')
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
          res.write(': connected\n\n')
          streams.add(res)
          req.on('close', () => streams.delete(res))
          return
        }
        return json(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: 'no such endpoint' } })
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { ok: false, error: { code: 'BAD_REQUEST', message: 'method not allowed' } })
      const file = await readStatic(opts.staticDir, url.pathname)
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' })
        return res.end('not found')
      }
      res.writeHead(200, {
        'content-type': file.type,
        'content-security-policy': APP_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      })
      res.end(req.method === 'HEAD' ? undefined : file.body)
    } catch {
      if (!res.headersSent) json(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'unexpected internal error' } })
      else res.end()
    }
  })
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolveListen())
  })
  const port = (server.address() as AddressInfo).port
  origin = `http://${host}:${port}`
  allowedHosts = [`${host}:${port}`, `localhost:${port}`]
  return {
    url: `${origin}/#secret=${secret}`,
    origin,
    secret,
    async close() {
      opts.services.events.off('event', onEvent)
      for (const s of streams) s.end()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
