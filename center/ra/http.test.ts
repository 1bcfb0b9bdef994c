import { sign } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@libsql/client'
import { registrationSignedData } from '../../shared/register-challenge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCenterDb } from '../db'
import { EMBEDDED_SECRET_HEADER } from '../../shared/embedded-center'
import { handleRaRequest, type RaHttpContext } from './http'
import { Ra } from './ra'
import { FakeCa, opensslCa, opensslCert } from './testing'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

let dir: string
let db: Client
let ra: Ra
let ca: FakeCa
let server: Server
let base: string
const SECRET = 'per-run-secret-of-the-test'
const ctx: RaHttpContext = { ca: new FakeCa(), embeddedSecret: SECRET }

/** Every call carries the embedded center's secret, as the app's RaClient does, unless a test passes other headers. */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { [EMBEDDED_SECRET_HEADER]: SECRET }): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

const post = (path: string, body: unknown = {}) => call('POST', path, body)

async function lastCode(): Promise<string> {
  const { json } = await call('GET', '/ra/outbox')
  const messages = json.messages as { text: string }[]
  return /인증번호 (\d{6})/.exec(messages[0]?.text ?? '')?.[1] ?? ''
}

let seq = 0
async function register(medium: 'card' | 'otp' = 'card'): Promise<{ customerId: string; account: string; idn: string; card?: { slots: string[] }; otpUri?: string }> {
  seq++
  const idn = `90010${String(seq).padStart(2, '0')}234567`
  const { status, json } = await post('/ra/customers', { name: '홍길동', idn, phone: '010-2222-3333', medium })
  expect(status).toBe(200)
  return { ...(json as { customerId: string; account: string }), idn }
}

async function verifiedSession(c: { account: string; idn: string; card?: { slots: string[] } }, purpose: string, phone = true): Promise<string> {
  const open = await post('/ra/sessions', { name: '홍길동', idn: c.idn, account: c.account, purpose })
  expect(open.status).toBe(200)
  const sid = open.json.sessionId as string
  if (phone) {
    expect((await post(`/ra/sessions/${sid}/phone`, { channel: 'sms' })).status).toBe(200)
    expect((await post(`/ra/sessions/${sid}/phone/verify`, { code: await lastCode() })).json).toEqual({ verified: true })
  }
  const ch = await post(`/ra/sessions/${sid}/medium/challenge`)
  const [a, b] = ch.json.slots as [number, number]
  const slots = c.card!.slots
  const response = slots[a - 1]!.slice(0, 2) + slots[b - 1]!.slice(2)
  expect((await post(`/ra/sessions/${sid}/medium/verify`, { response })).json).toEqual({ verified: true })
  return sid
}

let store: TestStore

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ra-http-'))
  store = await freshStore()
  db = await openCenterDb(dir, { dbUrl: store.dbUrl })
  ra = new Ra(db, { outboxDir: dir, keyDir: dir })
  ca = ctx.ca as FakeCa
  server = createServer((req, res) => {
    handleRaRequest(req, res, ra, ctx).then(
      (handled) => {
        if (!handled) {
          res.writeHead(418)
          res.end()
        }
      },
      () => {
        res.writeHead(500)
        res.end()
      },
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  db.close()
  await store.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('RA HTTP API', () => {
  it('answers /ra/info and leaves other paths to the caller', async () => {
    const info = await call('GET', '/ra/info')
    expect(info.status).toBe(200)
    expect(info.json).toEqual({ name: 'CertMgr 인증센터', fees: { limited: 0, general: 4400 }, renewalWindowDays: 30, renewalCheck: 'ra', media: ['card', 'otp'] })
    expect((await call('GET', '/.well-known/cmp')).status).toBe(418)
    const missing = await call('GET', '/ra/nothing')
    expect(missing.status).toBe(404)
    expect((missing.json.error as { code: string }).code).toBe('NOT_FOUND')
  })

  it('runs the issue wizard end to end: registration, identity, SMS, card, codes', async () => {
    const c = await register()
    expect(c.customerId).toMatch(/^C\d{9}$/)
    expect(c.card?.slots).toHaveLength(30)
    const sid = await verifiedSession(c, 'issue')
    const state = await call('GET', `/ra/sessions/${sid}`)
    expect(state.json).toMatchObject({ purpose: 'issue', phoneVerified: true, mediumVerified: true })
    const codes = await post(`/ra/sessions/${sid}/codes`, { certType: 'general' })
    expect(codes.status).toBe(200)
    expect(codes.json).toMatchObject({ reference: expect.stringMatching(/^\d{8}$/), authCode: expect.stringMatching(/^\w{4}-\w{4}-\w{4}$/), feeKrw: 4400 })
    expect((await ra.lookupEnrollment(codes.json.reference as string))?.authCode).toBe(codes.json.authCode)
  })

  it('reports failures as JSON errors with a reason and the attempts left', async () => {
    const c = await register()
    const bad = await post('/ra/sessions', { name: '홍길동', idn: c.idn, account: '1234567890', purpose: 'issue' })
    expect(bad.status).toBe(403)
    expect(bad.json).toEqual({ error: { code: 'FORBIDDEN', message: 'the name, resident number or account number does not match our records', params: { reason: 'identity', remaining: 4 } } })
    const sid = (await post('/ra/sessions', { name: '홍길동', idn: c.idn, account: c.account, purpose: 'issue' })).json.sessionId as string
    const early = await post(`/ra/sessions/${sid}/codes`, { certType: 'limited' })
    expect(early.status).toBe(409)
    expect((early.json.error as { params: { reason: string } }).params.reason).toBe('phone-not-verified')
    expect((await post('/ra/sessions/nope/phone', { channel: 'sms' })).status).toBe(404)
    expect((await post('/ra/sessions', { name: '홍길동' })).status).toBe(400)
  })

  it('refuses non-JSON bodies (no cross-site form posts) and malformed JSON', async () => {
    const plain = await call('POST', '/ra/sessions', 'name=x', { 'content-type': 'text/plain' })
    expect(plain.status).toBe(400)
    expect((plain.json.error as { params: { reason: string } }).params.reason).toBe('content-type')
    const broken = await call('POST', '/ra/sessions', '{not json')
    expect((broken.json.error as { params: { reason: string } }).params.reason).toBe('json')
    const wrongMethod = await call('GET', '/ra/sessions/abc/phone')
    expect(wrongMethod.status).toBe(405)
  })

  it('authorizes renewal and revokes only for the owner', async () => {
    const c = await register()
    const cert = opensslCert({ days: 20, serialHex: '6e0001' })
    ca.add(cert.serialHex, c.customerId, 'limited', cert.certDer)
    ca.add('6e0002', 'C000000001', 'limited', cert.certDer)
    const renewSid = await verifiedSession(c, 'renew', false)
    expect((await post(`/ra/sessions/${renewSid}/renewal`, { serialHex: '6e0002' })).status).toBe(403)
    const ok = await post(`/ra/sessions/${renewSid}/renewal`, { serialHex: '6E:00:01' })
    expect(ok.status).toBe(200)
    expect(await ra.isRenewalAuthorized('6e0001')).toBe(true)
    const revokeSid = await verifiedSession(c, 'revoke')
    const rev = await post(`/ra/sessions/${revokeSid}/revoke`, { serialHex: '6e0001', reason: 'superseded' })
    expect(rev.status).toBe(200)
    expect(ca.revoked).toContainEqual({ serialHex: '6e0001', reason: 4 })
  })

  it('registers another CA\'s certificate after signature and VID checks', async () => {
    const c = await register()
    const randomNum = Buffer.alloc(20, 7)
    // Issued by a CA the operator trusts (certmgr center trust add).
    const issuer = opensslCa({ subject: '/C=kr/O=yessign/CN=test issuing CA' })
    await ra.addTrustedCa(issuer.certDer)
    const cert = opensslCert({ days: 30, serialHex: '7f0001', vid: { realName: 'HONG', idn: c.idn, randomNum }, issuer })
    const sid = await verifiedSession(c, 'register')
    const ch = await call('GET', `/ra/sessions/${sid}/register/challenge`)
    const signature = sign('sha256', registrationSignedData(Buffer.from(ch.json.challenge as string, 'base64')), cert.keyPem).toString('base64')
    const res = await post(`/ra/sessions/${sid}/register`, { certDer: Buffer.from(cert.certDer).toString('base64'), signature, randomNum: randomNum.toString('base64') })
    expect(res.status).toBe(200)
    expect(res.json.serialHex).toBe('7f0001')
    const rows = await db.execute({ sql: 'SELECT customer_id FROM foreign_certs WHERE serial_hex = ?', args: ['7f0001'] })
    expect(rows.rows[0]?.customer_id).toBe(c.customerId)
  })

  it('hides self-registration and the outbox outside the embedded center', async () => {
    ctx.embeddedSecret = undefined
    try {
      expect((await call('GET', '/ra/outbox')).status).toBe(404)
      expect((await post('/ra/customers', { name: 'x', idn: '9001019999999', phone: '01011112222' })).status).toBe(403)
    } finally {
      ctx.embeddedSecret = SECRET
    }
    expect((await call('GET', '/ra/outbox')).status).toBe(200)
  })

  it('embedded features by caller address: a loopback caller without the per-run secret reads no SMS code and registers no one', async () => {
    await register()
    const json = { 'content-type': 'application/json' }
    const tries: Record<string, string>[] = [{}, { [EMBEDDED_SECRET_HEADER]: 'guess' }, { [EMBEDDED_SECRET_HEADER]: SECRET.slice(0, -1) }]
    for (const headers of tries) {
      const outbox = await call('GET', '/ra/outbox', undefined, headers)
      expect(outbox.status).toBe(404)
      expect(JSON.stringify(outbox.json)).not.toMatch(/인증번호/)
      expect((await call('POST', '/ra/customers', { name: 'x', idn: '9001019999998', phone: '01011112222' }, { ...json, ...headers })).status).toBe(403)
    }
  })
})
