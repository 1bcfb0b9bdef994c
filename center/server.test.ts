import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from './center'
import { caMigrations } from './ca/migrations'
import { openCenterDb } from './db'
import { raMigrations } from './ra/migrations'

describe('center HTTP server', () => {
  let dir: string
  let center: RunningCenter

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'center-http-'))
    center = await startCenter({ dataDir: dir, maxMessageBytes: 4096 })
  })
  afterAll(async () => {
    await center.close()
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
    const { request } = await import('node:http')
    const status = (host: string) =>
      new Promise<number>((resolve) => request(`${center.url}/ra/outbox`, { headers: { host } }, (res) => resolve(res.statusCode ?? 0)).end())
    expect(await status('evil.example:80')).toBe(403)
    expect(await status(new URL(center.url).host)).toBe(200)
  })

  it('routes /ra/ to the RA', async () => {
    const res = await fetch(`${center.url}/ra/info`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { fees?: { general?: number } }).fees?.general).toBe(4400)
  })

  it('records the applied migrations once, also when the database is opened again', async () => {
    const db = await openCenterDb(dir)
    try {
      const rows = await db.execute('SELECT module, count(*) AS n FROM schema_migrations GROUP BY module ORDER BY module')
      expect(rows.rows.map((r) => [String(r.module), Number(r.n)])).toEqual([
        ['ca', caMigrations.length],
        ['ra', raMigrations.length],
      ])
      expect(String((await db.execute('PRAGMA journal_mode')).rows[0]?.[0])).toBe('wal')
    } finally {
      db.close()
    }
  })
})
