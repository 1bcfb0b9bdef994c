import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RaClient } from './ra-client'
import { revokedSerials } from './revoked'

// A hostile center that answers every request with a chunked body (no Content-Length) that
// never ends by itself: it writes until the client drops the connection or CAP bytes went out.
const CAP = 160 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 0x30)
let server: Server
let url = ''
let sent = 0
let done: Promise<number> = Promise.resolve(0)

beforeAll(async () => {
  server = createServer((req, res) => {
    sent = 0
    done = new Promise((resolve) => {
      const stop = () => resolve(sent)
      res.on('close', stop)
      res.writeHead(200, { 'content-type': req.url?.startsWith('/ra/') ? 'application/json' : 'application/pkix-crl' })
      const pump = (): void => {
        while (sent < CAP) {
          sent += CHUNK.length
          if (!res.write(sent === CHUNK.length && req.url?.startsWith('/ra/') ? Buffer.concat([Buffer.from('{"a":"'), CHUNK.subarray(6)]) : CHUNK)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('answers of a hostile center are read only up to a limit', () => {
  it('unbounded CRL read: a chunked CRL answer without a length is dropped soon after 8 MiB', async () => {
    expect(await revokedSerials(url, new Uint8Array([0x30, 0x00]), { timeoutMs: 60_000 })).toBeUndefined()
    // What went out before the client dropped the connection: the limit plus the socket buffers, not the whole stream.
    expect(await done).toBeLessThan(40 * 1024 * 1024)
  })

  it('unbounded RA answer read: an endless JSON answer is CENTER, reason size, after about 1 MiB', async () => {
    await expect(new RaClient(url, 60_000).call('info', {})).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'size' } })
    expect(await done).toBeLessThan(40 * 1024 * 1024)
  })
})
