import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBEDDED_SECRET_HEADER } from '../shared/embedded-center'
import { startCenter, type RunningCenter } from './center'
import { opensslCa } from './ra/testing'
import { hostAllowed } from './server'
import { caMigrations } from './ca/migrations'
import { openCenterDb } from './db'
import { raMigrations } from './ra/migrations'
import { freshStore, type TestStore } from '../tests/helpers/postgres'

const SECRET = 'center-http-test-secret'

/** Status and body of a GET with the given Host header (fetch would not let a test set it). */
function getWithHost(url: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { ...headers, host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('center HTTP server', () => {
  let dir: string
  let center: RunningCenter
  let store: TestStore

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'center-http-'))
    store = await freshStore()
    center = await startCenter({ dataDir: dir, dbUrl: store.dbUrl, maxMessageBytes: 4096, embedded: { secret: SECRET } })
  })
  afterAll(async () => {
    await center.close()
    await store.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const cmp = (path: string, body: Uint8Array, type = 'application/pkixcmp') =>
    fetch(`${center.url}${path}`, { method: 'POST', headers: { 'Content-Type': type }, body })

  it('listens on loopback and serves the CA certificate and an empty CRL', async () => {
    expect(center.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const ca = await fetch(`${center.url}/ca.crt`)
    expect(ca.headers.get('content-type')).toBe('application/pkix-cert')
    expect(new Uint8Array(await ca.arrayBuffer())).toEqual(center.ca.caCertDer())
    const crl = await fetch(`${center.url}/crl`)
    expect(crl.headers.get('content-type')).toBe('application/pkix-crl')
    expect((await crl.arrayBuffer()).byteLength).toBeGreaterThan(100)
  })

  it('answers transport problems with HTTP errors and leaves unknown paths to 404', async () => {
    expect((await cmp('/.well-known/cmp', new Uint8Array([0x30, 0x00]), 'text/plain')).status).toBe(415)
    expect((await cmp('/.well-known/cmp', new Uint8Array(5000))).status).toBe(413)
    expect((await cmp('/.well-known/cmp/p/certmgr/initialization', new Uint8Array([1, 2, 3]))).status).toBe(400)
    expect((await fetch(`${center.url}/.well-known/cmp`)).status).toBe(405)
    expect((await cmp('/.well-known/cmpx', new Uint8Array([0x30, 0x00]))).status).toBe(404)
    expect((await fetch(`${center.url}/nothing`)).status).toBe(404)
  })

  it('on loopback answers only loopback host names (no DNS rebinding into the outbox)', async () => {
    const secret = { [EMBEDDED_SECRET_HEADER]: SECRET }
    expect((await getWithHost(`${center.url}/ra/outbox`, 'evil.example:80', secret)).status).toBe(403)
    expect((await getWithHost(`${center.url}/ra/outbox`, new URL(center.url).host, secret)).status).toBe(200)
  })

  it('routes /ra/ to the RA', async () => {
    const res = await fetch(`${center.url}/ra/info`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { fees?: { general?: number } }).fees?.general).toBe(4400)
  })

  it('records the applied migrations once, also when the database is opened again', async () => {
    const db = await openCenterDb(dir, { dbUrl: store.dbUrl })
    try {
      const rows = await db.execute('SELECT module, count(*) AS n FROM schema_migrations GROUP BY module ORDER BY module')
      expect(rows.rows.map((r) => [String(r.module), Number(r.n)])).toEqual([
        ['ca', caMigrations.length],
        ['ra', raMigrations.length],
      ])
      if (store.name === 'sqlite') expect(String((await db.execute('PRAGMA journal_mode')).rows[0]?.[0])).toBe('wal')
    } finally {
      db.close()
    }
  })
})

describe('Host check only for exact loopback names', () => {
  it('refuses a foreign Host on every binding, so no rebound name reads the SMS codes', async () => {
    // 127.1 and 127.0.0.2 are loopback too, but were not in the list the old check compared with.
    for (const host of ['127.1', '127.0.0.2']) {
      const dir = mkdtempSync(join(tmpdir(), 'center-host-'))
      const center = await startCenter({ dataDir: dir, host, embedded: { secret: SECRET } })
      try {
        const code = await center.ra.createCustomer({ name: '홍길동', idn: '9001011234567', phone: '01012345678' })
        const { sessionId } = await center.ra.openSession({ name: '홍길동', idn: '9001011234567', account: code.account, purpose: 'issue' })
        await center.ra.sendPhoneCode(sessionId, 'sms')
        const secret = { [EMBEDDED_SECRET_HEADER]: SECRET }
        const evil = await getWithHost(`${center.url}/ra/outbox`, 'evil.example', secret)
        expect(evil.status).toBe(403)
        expect(evil.body).not.toMatch(/인증번호/)
        expect((await getWithHost(`${center.url}/ra/info`, 'evil.example:8080')).status).toBe(403)
        const own = await getWithHost(`${center.url}/ra/outbox`, new URL(center.url).host, secret)
        expect(own.status).toBe(200)
        expect(own.body).toMatch(/인증번호/)
      } finally {
        await center.close()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  })

  it('without the embedded configuration (certmgr center serve) the outbox does not exist, whoever asks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'center-serve-'))
    const testCa = opensslCa({ subject: '/C=KR/O=Test/CN=test issuing CA' })
    const center = await startCenter({ dataDir: dir, trustedCaCerts: [testCa.certDer] })
    try {
      // The start option puts test CAs on the trust list for 타기관 인증서 등록.
      expect((await center.ra.listTrustedCas()).map((c) => c.subject)).toEqual([new X509Certificate(testCa.certDer).subject])
      expect((await getWithHost(`${center.url}/ra/outbox`, new URL(center.url).host)).status).toBe(404)
      expect((await getWithHost(`${center.url}/ra/outbox`, new URL(center.url).host, { [EMBEDDED_SECRET_HEADER]: SECRET })).status).toBe(404)
    } finally {
      await center.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('accepts IP literals, localhost, the bound name and the allowed names on a wildcard binding', () => {
    const config = { host: '0.0.0.0', allowedHosts: ['ca.example.kr'] }
    expect(hostAllowed('evil.example', config)).toBe(false)
    expect(hostAllowed('evil.example:80', config)).toBe(false)
    expect(hostAllowed(undefined, config)).toBe(false)
    expect(hostAllowed('127.0.0.1.evil.example', config)).toBe(false)
    expect(hostAllowed('192.0.2.10:8080', config)).toBe(true)
    expect(hostAllowed('[::1]:8080', config)).toBe(true)
    expect(hostAllowed('LOCALHOST:1', config)).toBe(true)
    expect(hostAllowed('CA.example.kr', config)).toBe(true)
    expect(hostAllowed('ca.example.kr.', config)).toBe(true)
    expect(hostAllowed('center.lan', { host: 'center.lan', allowedHosts: [] })).toBe(true)
  })
})
