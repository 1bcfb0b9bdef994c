/**
 * The center's Host check and the embedded center's per-run secret, end to end over real
 * sockets on the bindings that used to slip through (issue 15, item 2): `0.0.0.0` and
 * `127.1`. A request whose Host is not one of the center's names (`evil.example`, or a
 * non-loopback name the operator did not allow) is refused for every RA endpoint, including
 * the outbox and self-registration, and for CMP, the CRL and the CA certificate, whatever
 * secret it carries; with the center's own Host the outbox and self-registration answer only
 * the per-run secret, and `certmgr center serve` has neither.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startCenter } from '../../center/center'
import { EMBEDDED_SECRET_HEADER } from '../../shared/embedded-center'
import { serveCenter, type CenterProcess } from '../helpers/center-process'

const SECRET = 'binding-test-per-run-secret'
const dirs: string[] = []
const running: CenterProcess[] = []

afterAll(async () => {
  for (const c of running) await c.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'center-binding-'))
  dirs.push(d)
  return d
}

/** One request to the loopback address `url` points at, with a Host header of our choosing (fetch would not let us set it). */
function send(url: string, method: string, path: string, host: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: string }> {
  const text = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method, headers: { ...headers, host, ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}) } },
      (res) => {
        let out = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (out += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }))
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

/** The center's URL as a loopback client reaches it (a wildcard binding is reached on 127.0.0.1). */
function loopback(url: string): string {
  const u = new URL(url)
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1'
  return u.toString()
}

let idn = 8001011000000
const customer = () => ({ name: '바인딩', idn: String(idn++), phone: '01055556666', medium: 'card' })
const session = { name: '바인딩', idn: '8001011999999', account: '123-456-789012', purpose: 'issue' }

/** Every endpoint a foreign Host must not reach; the secret goes along, as an attacker who had it would send it. */
async function expectAllRefused(url: string, host: string): Promise<void> {
  const secret = { [EMBEDDED_SECRET_HEADER]: SECRET }
  const answers = {
    outbox: await send(url, 'GET', '/ra/outbox', host, secret),
    register: await send(url, 'POST', '/ra/customers', host, secret, customer()),
    info: await send(url, 'GET', '/ra/info', host),
    session: await send(url, 'POST', '/ra/sessions', host, {}, session),
    cmp: await send(url, 'POST', '/.well-known/cmp', host, { 'content-type': 'application/pkixcmp' }),
    crl: await send(url, 'GET', '/crl', host),
    caCert: await send(url, 'GET', '/ca.crt', host),
  }
  for (const [name, a] of Object.entries(answers)) {
    expect({ name, host, status: a.status }).toEqual({ name, host, status: 403 })
    expect(a.body).toBe('unexpected Host header\n')
  }
}

describe('the embedded center on a wide binding: Host checked, outbox and self-registration behind the per-run secret', () => {
  for (const bind of ['0.0.0.0', '127.1']) {
    it(`on --host ${bind}: a foreign Host reaches nothing, the center's own Host needs the secret`, async () => {
      const center = await startCenter({ dataDir: tempDir(), host: bind, port: 0, embedded: { secret: SECRET } })
      try {
        const url = loopback(center.url)
        const own = new URL(url).host
        // An SMS code in the outbox: what a rebound page would be after.
        const c = await center.ra.createCustomer({ name: '홍길동', idn: '9001011234567', phone: '01012345678' })
        const { sessionId } = await center.ra.openSession({ name: '홍길동', idn: '9001011234567', account: c.account, purpose: 'issue' })
        await center.ra.sendPhoneCode(sessionId, 'sms')

        for (const host of ['evil.example', `evil.example:${new URL(url).port}`, 'center.lan', `127.0.0.1.evil.example:${new URL(url).port}`]) await expectAllRefused(url, host)

        // The right Host without the secret, or with a wrong one: no outbox, no self-registration.
        // A non-loopback IP literal passes the Host check (no DNS name, so nothing to rebind: a
        // wide binding is reached by address) and meets the same secret.
        for (const host of [own, `192.0.2.10:${new URL(url).port}`]) {
          for (const headers of [{}, { [EMBEDDED_SECRET_HEADER]: 'guessed' }] as Record<string, string>[]) {
            const outbox = await send(url, 'GET', '/ra/outbox', host, headers)
            expect(outbox.status).toBe(404)
            expect(outbox.body).not.toMatch(/인증번호/)
            expect((await send(url, 'POST', '/ra/customers', host, headers, customer())).status).toBe(403)
          }
          expect((await send(url, 'GET', '/ra/info', host)).status).toBe(200)
        }
        // The right Host and the secret: both work, by IP literal and by localhost.
        for (const host of [own, `localhost:${new URL(url).port}`]) {
          const outbox = await send(url, 'GET', '/ra/outbox', host, { [EMBEDDED_SECRET_HEADER]: SECRET })
          expect(outbox.status).toBe(200)
          expect(outbox.body).toMatch(/인증번호/)
          const registered = await send(url, 'POST', '/ra/customers', host, { [EMBEDDED_SECRET_HEADER]: SECRET }, customer())
          expect(registered.status).toBe(200)
          expect(JSON.parse(registered.body)).toMatchObject({ customerId: expect.any(String), medium: 'card' })
        }
        // The RA API answers the center's own Host without any secret.
        expect((await send(url, 'GET', '/ra/info', own)).status).toBe(200)
        const opened = await send(url, 'POST', '/ra/sessions', own, {}, { name: '홍길동', idn: '9001011234567', account: c.account, purpose: 'issue' })
        expect(opened.status).toBe(200)
        expect(JSON.parse(opened.body)).toMatchObject({ sessionId: expect.any(String) })
      } finally {
        await center.close()
      }
    })
  }
})

describe('certmgr center serve on a wide binding', () => {
  for (const bind of ['0.0.0.0', '127.1']) {
    it(`--host ${bind}: a foreign Host reaches nothing; the outbox and self-registration do not exist, secret or not`, async () => {
      const center = await serveCenter(['--data', tempDir(), '--host', bind, '--allowed-hosts', 'ca.example.kr'])
      running.push(center)
      const url = loopback(center.url)
      const own = new URL(url).host
      for (const host of ['evil.example', 'center.lan', 'ca.example.kr.evil.example']) await expectAllRefused(url, host)
      for (const host of [own, 'ca.example.kr', `localhost:${new URL(url).port}`]) {
        expect((await send(url, 'GET', '/ra/info', host)).status).toBe(200)
        expect((await send(url, 'GET', '/ca.crt', host)).status).toBe(200)
        expect((await send(url, 'GET', '/ra/outbox', host, { [EMBEDDED_SECRET_HEADER]: SECRET })).status).toBe(404)
        expect((await send(url, 'POST', '/ra/customers', host, { [EMBEDDED_SECRET_HEADER]: SECRET }, customer())).status).toBe(403)
      }
      expect(await center.stop()).toBe(0)
    })
  }
})
