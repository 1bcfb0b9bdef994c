import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMixedRoot, tempDir } from '../../tests/helpers/fixtures'
import { createAppServices, type AppServices } from '../../app/app-services'
import { startWebHost, type WebHost } from './web-host'

let services: AppServices
let host: WebHost
const staticDir = tempDir('certmgr-static-')
let oldRoots: string | undefined

beforeAll(async () => {
  mkdirSync(staticDir, { recursive: true })
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(tempDir(), 'outside.txt'), 'x')
  oldRoots = process.env.CERTMGR_NPKI_ROOTS
  process.env.CERTMGR_NPKI_ROOTS = makeMixedRoot().root
  services = await createAppServices({ dataDir: tempDir('certmgr-data-'), host: 'web', version: 'test' })
  host = await startWebHost({ services, staticDir })
})
afterAll(async () => {
  await host.close()
  if (oldRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = oldRoots
})

function post(name: string, body: unknown, headers: Record<string, string>) {
  return fetch(`${host.origin}/api/call/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

describe('browser host', () => {
  it('binds to loopback on a random port and puts the secret in the fragment only', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(host.url).toBe(`${host.origin}/#secret=${host.secret}`)
    expect(host.secret).toMatch(/^[0-9a-f]{48}$/)
  })
  it('answers a call with the secret from its own origin using the shared handlers', async () => {
    const r = await post('certs.list', {}, { 'x-certmgr-secret': host.secret, origin: host.origin })
    expect(r.status).toBe(200)
    const body = (await r.json()) as { ok: boolean; value: { certs: { owner: string; state: string }[] } }
    expect(body.ok).toBe(true)
    expect(body.value.certs.map((c) => c.state).sort()).toEqual(['damaged', 'damaged', 'expired'])
  })
  it('refuses a request without the secret', async () => {
    const r = await post('certs.list', {}, { origin: host.origin })
    expect(r.status).toBe(403)
    expect(await r.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
  })
  it('refuses a wrong secret of the same length', async () => {
    const r = await post('certs.list', {}, { origin: host.origin, 'x-certmgr-secret': host.secret.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })
    expect(r.status).toBe(403)
  })
  it('refuses a foreign Origin even with the secret', async () => {
    const r = await post('certs.list', {}, { origin: 'http://evil.example', 'x-certmgr-secret': host.secret })
    expect(r.status).toBe(403)
  })
  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve) => {
      const req = request(`${host.origin}/index.html`, { headers: { host: 'evil.example' } }, (res) => resolve(res.statusCode ?? 0))
      req.end()
    })
    expect(status).toBe(403)
  })
  it('answers a malformed payload with a typed error', async () => {
    const r = await fetch(`${host.origin}/api/call/certs.details`, { method: 'POST', headers: { origin: host.origin, 'x-certmgr-secret': host.secret }, body: '{"id": 5}' })
    expect(await r.json()).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    const r2 = await fetch(`${host.origin}/api/call/certs.list`, { method: 'POST', headers: { origin: host.origin, 'x-certmgr-secret': host.secret }, body: '{not json' })
    expect(r2.status).toBe(400)
  })
  it('serves pages with the CSP and refuses path traversal', async () => {
    const ok = await fetch(`${host.origin}/`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect((await fetch(`${host.origin}/..%2f..%2fetc%2fpasswd`)).status).toBe(404)
  })
  it('opens the event stream only with the secret', async () => {
    expect((await fetch(`${host.origin}/api/events`)).status).toBe(403)
    const ac = new AbortController()
    const r = await fetch(`${host.origin}/api/events?secret=${host.secret}`, { signal: ac.signal })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/event-stream')
    ac.abort()
  })
})
