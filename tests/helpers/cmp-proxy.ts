import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyType, decodePKIMessage } from '../../shared/cmp/messages'

/**
 * Where a CMP message of the held type stops: `before-center` never forwards it;
 * `after-center` forwards it and never answers (`cut`: closes the client's connection instead,
 * as a dropped network would).
 */
export interface HeldMessage {
  body: string
  at: 'before-center' | 'after-center'
  cut?: boolean
  /** Runs each time a message of that type is where `at` puts it. */
  onHit: () => void
}

/**
 * A forwarding proxy in front of a center for the reliability tests: every request passes
 * through unchanged except CMP messages of the held type, which stop as `held` says, so a test
 * can kill a process or lose an answer at an exact step of an issuance or renewal.
 */
export async function cmpProxy(centerUrl: string, held: HeldMessage): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(centerUrl)
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      let type = ''
      try {
        type = req.method === 'POST' ? (bodyType(decodePKIMessage(new Uint8Array(body)).body) ?? '') : ''
      } catch {
        /* not CMP */
      }
      const hit = type === held.body
      if (hit && held.at === 'before-center') return held.onHit()
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        const back: Buffer[] = []
        r.on('data', (c: Buffer) => back.push(c))
        r.on('end', () => {
          if (hit) {
            held.onHit()
            if (held.cut) req.socket.destroy()
            return
          }
          res.writeHead(r.statusCode ?? 502, r.headers)
          res.end(Buffer.concat(back))
        })
      })
      up.end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
