import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBEDDED_SECRET_HEADER } from '../../shared/embedded-center'
import { startCenter, type RunningCenter } from '../center'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

/**
 * The RA inside the real center: the wizard's HTTP calls hand out codes that `openssl cmp`
 * (the independent CMP client) then enrolls with, and the RA's revoke reaches the real CA.
 */
let dir: string
let center: RunningCenter

const SECRET = 'center-e2e-run-secret'
/** The wizard's calls carry the embedded center's per-run secret, as the app's RaClient does. */
const embeddedHeaders = { [EMBEDDED_SECRET_HEADER]: SECRET }

async function post(path: string, body: unknown = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(center.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...embeddedHeaders }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

function openssl(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile('/usr/bin/openssl', args, { cwd: dir, timeout: 60_000 }, (err, _out, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }))
  })
}

async function verified(c: { idn: string; account: string; card: { slots: string[] } }, purpose: string): Promise<string> {
  const sid = (await post('/ra/sessions', { name: '홍길동', idn: c.idn, account: c.account, purpose })).json.sessionId as string
  await post(`/ra/sessions/${sid}/phone`, { channel: 'sms' })
  const outbox = (await (await fetch(center.url + '/ra/outbox', { headers: embeddedHeaders })).json()) as { messages: { text: string }[] }
  const code = /인증번호 (\d{6})/.exec(outbox.messages[0]?.text ?? '')?.[1]
  expect((await post(`/ra/sessions/${sid}/phone/verify`, { code })).status).toBe(200)
  const [a, b] = (await post(`/ra/sessions/${sid}/medium/challenge`)).json.slots as [number, number]
  const response = c.card.slots[a - 1]!.slice(0, 2) + c.card.slots[b - 1]!.slice(2)
  expect((await post(`/ra/sessions/${sid}/medium/verify`, { response })).status).toBe(200)
  return sid
}

let store: TestStore

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ra-e2e-'))
  store = await freshStore()
  center = await startCenter({ dataDir: join(dir, 'center'), dbUrl: store.dbUrl, port: 0, host: '127.0.0.1', embedded: { secret: SECRET } })
})

afterAll(async () => {
  await center?.close()
  await store?.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('RA in the running center with openssl cmp as the client', () => {
  it('issues with the codes from the wizard, refuses a second issue, and revokes', async () => {
    const idn = '9001011234567'
    const reg = await post('/ra/customers', { name: '홍길동', idn, phone: '010-1234-5678', medium: 'card' })
    expect(reg.status).toBe(200)
    const c = { idn, account: reg.json.account as string, card: reg.json.card as { slots: string[] } }

    const sid = await verified(c, 'issue')
    const codes = await post(`/ra/sessions/${sid}/codes`, { certType: 'limited' })
    expect(codes.status).toBe(200)
    const { reference, authCode } = codes.json as { reference: string; authCode: string }

    writeFileSync(join(dir, 'ca.der'), center.ca.caCertDer())
    expect((await openssl(['x509', '-inform', 'DER', '-in', 'ca.der', '-out', 'ca.pem'])).code).toBe(0)
    expect((await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'key.pem'])).code).toBe(0)
    const ir = await openssl([
      'cmp', '-cmd', 'ir', '-server', `${center.url}/.well-known/cmp/p/certmgr/initialization`,
      '-ref', reference, '-secret', `pass:${authCode}`, '-newkey', 'key.pem', '-subject', '/CN=ignored',
      '-certout', 'cert.pem', '-trusted', 'ca.pem', '-unprotected_errors',
    ])
    expect(ir.stderr).not.toMatch(/error/i)
    expect(ir.code).toBe(0)
    const cert = new X509Certificate(readFileSync(join(dir, 'cert.pem')))
    const serialHex = cert.serialNumber.toLowerCase()
    expect((await center.ca.certBySerial(serialHex))?.status).toBe('active')

    // The same codes cannot be used twice, and a second issue of the same type is refused up front.
    expect(await center.ra.lookupEnrollment(reference)).toBeUndefined()
    const again = await verified(c, 'issue')
    const refused = await post(`/ra/sessions/${again}/codes`, { certType: 'limited' })
    expect(refused.status).toBe(409)
    expect((refused.json.error as { params: { reason: string } }).params.reason).toBe('already-issued')

    // A fresh year-long certificate is outside the renewal window.
    const renewSid = (await post('/ra/sessions', { name: '홍길동', idn, account: c.account, purpose: 'renew' })).json.sessionId as string
    const [a, b] = (await post(`/ra/sessions/${renewSid}/medium/challenge`)).json.slots as [number, number]
    await post(`/ra/sessions/${renewSid}/medium/verify`, { response: c.card.slots[a - 1]!.slice(0, 2) + c.card.slots[b - 1]!.slice(2) })
    const early = await post(`/ra/sessions/${renewSid}/renewal`, { serialHex })
    expect((early.json.error as { params: { reason: string } }).params.reason).toBe('renewal-window')

    const revokeSid = await verified(c, 'revoke')
    const rev = await post(`/ra/sessions/${revokeSid}/revoke`, { serialHex, reason: 'keyCompromise' })
    expect(rev.status).toBe(200)
    expect((await center.ca.certBySerial(serialHex))?.status).toBe('revoked')
  })
})
