import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeCa } from './testing'
import { handleRaRequest } from './http'
import type { Ra } from './ra'

// The RA parses every request body with the schemas of shared/ra/api.ts before it does anything:
// a malformed body never reaches the RA (this one throws on any call).
const untouchable = new Proxy({} as Ra, {
  get: (_t, name) => {
    if (name === 'then') return undefined
    return () => {
      throw new Error(`the RA was called (${String(name)}) with a malformed body`)
    }
  },
})

let server: Server
let base = ''
beforeAll(async () => {
  server = createServer((req, res) => void handleRaRequest(req, res, untouchable, { ca: new FakeCa() }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

async function post(path: string, body: unknown): Promise<{ status: number; error: { code: string; params: Record<string, unknown> } }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, error: ((await res.json()) as { error: { code: string; params: Record<string, unknown> } }).error }
}

describe('the RA JSON API checks request bodies against its schemas', () => {
  for (const [path, body, field] of [
    ['/ra/sessions', { account: 1234, purpose: 'issue' }, 'account'],
    ['/ra/sessions', { account: '110-1', purpose: 'steal' }, 'purpose'],
    ['/ra/sessions/s1/codes', { certType: 'platinum' }, 'certType'],
    ['/ra/sessions/s1/phone', { channel: 'fax' }, 'channel'],
    ['/ra/sessions/s1/phone/verify', {}, 'code'],
    ['/ra/sessions/s1/register', { certDer: 'not base64!', signature: 'AA==', randomNum: 'AA==' }, 'certDer'],
    ['/ra/sessions/s1/revoke', { serialHex: '01', reason: { nested: true } }, 'reason'],
  ] as const) {
    it(`refuses ${path} with a malformed ${field}, before the RA sees it`, async () => {
      const r = await post(path, body)
      expect(r.status).toBe(400)
      expect(r.error.code).toBe('BAD_REQUEST')
      expect(r.error.params).toMatchObject({ reason: 'body', field })
    })
  }
})
