/**
 * The center under load and under a hard crash: 100 concurrent issuances over HTTP, and a
 * `kill -9` of a center child process in the middle of issuing, followed by a restart.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { Ra } from '../../center/ra/ra'
import { openCenterDb } from '../../center/db'
import { startCenter } from '../../center/center'
import { buildCertConfMessage, buildIrMessage, parseResponse, type BuiltRequest } from '../../center/cmp/test-client'
import { freshStore, type TestStore } from '../helpers/postgres'

const REPO = resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
const dirs: string[] = []
const children: ChildProcess[] = []
const stores: TestStore[] = []

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  for (const s of stores) await s.drop()
})

async function store(): Promise<TestStore> {
  const s = await freshStore()
  stores.push(s)
  return s
}

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

function ecKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { spkiDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), privateKey }
}

async function post(url: string, der: Uint8Array): Promise<Uint8Array> {
  const res = await fetch(`${url}/.well-known/cmp`, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp' }, body: der })
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}

interface Enrollment {
  customerId: string
  reference: string
  authCode: string
}

async function makeEnrollments(ra: Ra, n: number, tag: number): Promise<Enrollment[]> {
  const out: Enrollment[] = []
  for (let i = 0; i < n; i++) {
    const idn = String(7000000000000 + tag * 1000 + i)
    const { customerId } = await ra.createCustomer({ name: `부하${i}`, idn, phone: `010${String(tag * 1000 + i).padStart(8, '0')}` })
    const codes = await ra.createEnrollmentCodes(customerId, 'limited', 'issue')
    out.push({ customerId, reference: codes.reference, authCode: codes.authCode })
  }
  return out
}

/** The center's senderNonce of each ip, by reference: a certConf must echo it. */
const ipNonces = new Map<string, Uint8Array>()

/** ir → ip → certConf → pkiConf for one enrollment; returns the issued certificate. */
async function enroll(url: string, e: Enrollment, ir: BuiltRequest, confirm = true): Promise<Uint8Array> {
  const ip = parseResponse(await post(url, ir.der))
  if (ip.type !== 'ip' || !ip.certDer) throw new Error(`expected ip, got ${ip.type}: ${ip.error ?? ''}`)
  ipNonces.set(e.reference, ip.senderNonce!)
  if (!confirm) return ip.certDer
  const conf = buildCertConfMessage({ reference: e.reference, secret: e.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer: ip.certDer })
  const pkiConf = parseResponse(await post(url, conf.der))
  if (pkiConf.type !== 'pkiconf') throw new Error(`expected pkiconf, got ${pkiConf.type}: ${pkiConf.error ?? ''}`)
  return ip.certDer
}

describe('center reliability', () => {
  it('serves 100 concurrent issuances with distinct, verifiable serials', async () => {
    const dir = tempDir('center-load-')
    const center = await startCenter({ dataDir: join(dir, 'data'), dbUrl: (await store()).dbUrl })
    try {
      const enrollments = await makeEnrollments(center.ra, 100, 1)
      const irs = await Promise.all(enrollments.map(async (e) => buildIrMessage({ reference: e.reference, secret: e.authCode, ...ecKey() })))
      const certs = await Promise.all(enrollments.map((e, i) => enroll(center.url, e, irs[i]!)))
      const serials = new Set(certs.map((c) => new X509Certificate(c).serialNumber))
      expect(serials.size).toBe(100)
      writeFileSync(join(dir, 'ca.pem'), new X509Certificate(center.ca.caCertDer()).toString())
      const files = certs.map((c, i) => {
        const f = join(dir, `c${i}.pem`)
        writeFileSync(f, new X509Certificate(c).toString())
        return f
      })
      const { stdout } = await run('/usr/bin/openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), ...files])
      expect(stdout.split('\n').filter((l) => l.endsWith(': OK')).length).toBe(100)
      const active = await center.db.execute("SELECT count(*) AS n FROM ca_certs WHERE status = 'active'")
      expect(Number(active.rows[0]?.n)).toBe(100)
    } finally {
      await center.close()
    }
  })

  it('survives kill -9 during issuance: the database stays consistent and unconfirmed certificates never become active', async () => {
    const dir = tempDir('center-crash-')
    const dataDir = join(dir, 'data')
    // Customers and codes are written before the center runs (the same database file, as the operator CLI would).
    const { dbUrl } = await store()
    const setupDb = await openCenterDb(dataDir, { dbUrl })
    const enrollments = await makeEnrollments(new Ra(setupDb, { outboxDir: dataDir, keyDir: dataDir }), 40, 2)
    const late = await makeEnrollments(new Ra(setupDb, { outboxDir: dataDir, keyDir: dataDir }), 1, 3)
    setupDb.close()

    const startChild = async (): Promise<{ child: ChildProcess; url: string }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'center', 'serve', '--data', dataDir, ...(dbUrl ? ['--db', dbUrl] : []), '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
      children.push(child)
      const url = await new Promise<string>((ok, fail) => {
        let out = ''
        const timer = setTimeout(() => fail(new Error(`center did not start: ${out}`)), 60_000)
        child.stdout!.on('data', (b: Buffer) => {
          out += b.toString()
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m) {
            clearTimeout(timer)
            ok(m[1]!)
          }
        })
        child.on('exit', () => fail(new Error(`center exited: ${out}`)))
      })
      return { child, url }
    }

    const first = await startChild()
    const irs = await Promise.all(enrollments.map((e) => buildIrMessage({ reference: e.reference, secret: e.authCode, ...ecKey() })))
    // Even-numbered clients confirm, odd-numbered ones never send certConf.
    const received: { i: number; certDer: Uint8Array }[] = []
    let killed = false
    const attempts = enrollments.map(async (e, i) => {
      try {
        const certDer = await enroll(first.url, e, irs[i]!, i % 2 === 0)
        received.push({ i, certDer })
        if (received.length >= 12 && !killed) {
          killed = true
          first.child.kill('SIGKILL')
        }
      } catch {
        // connections cut by the kill
      }
    })
    await Promise.all(attempts)
    expect(killed).toBe(true)
    await new Promise<void>((ok) => (first.child.exitCode !== null || first.child.signalCode !== null ? ok() : first.child.once('exit', () => ok())))
    expect(first.child.signalCode).toBe('SIGKILL')

    const second = await startChild()
    try {
      const db = await openCenterDb(dataDir, { dbUrl })
      try {
        if (!dbUrl) {
          const integrity = await db.execute('PRAGMA integrity_check')
          expect(String(integrity.rows[0]?.[0])).toBe('ok')
        }
        // Every certificate a client received is on record.
        for (const r of received) {
          const serial = new X509Certificate(r.certDer).serialNumber.toLowerCase()
          const row = await db.execute({ sql: 'SELECT status FROM ca_certs WHERE serial_hex = ?', args: [serial] })
          expect(row.rows.length).toBe(1)
          if (r.i % 2 === 1) expect(String(row.rows[0]?.status)).toBe('pending')
        }
        // Nothing is active without a confirmation on record, and confirmed rows belong to closed transactions.
        const bad = await db.execute(
          `SELECT count(*) AS n FROM ca_certs c LEFT JOIN cmp_transactions t ON t.transaction_id = c.transaction_id
           WHERE c.status = 'active' AND (c.confirmed_at IS NULL OR t.state IS NULL OR t.state <> 'done')`,
        )
        expect(Number(bad.rows[0]?.n)).toBe(0)
        const perCustomer = await db.execute("SELECT customer_id, count(*) AS n FROM ca_certs WHERE status = 'active' GROUP BY customer_id HAVING count(*) > 1")
        expect(perCustomer.rows.length).toBe(0)
      } finally {
        db.close()
      }
      // A certificate issued before the crash can still be confirmed after the restart: the
      // transaction lives in the database. A certConf that does not echo the center's nonce cannot.
      const odd = received.find((r) => r.i % 2 === 1)
      expect(odd).toBeDefined()
      if (odd) {
        const e = enrollments[odd.i]!
        const ir = irs[odd.i]!
        const forged = buildCertConfMessage({ reference: e.reference, secret: e.authCode, transactionID: ir.transactionID, recipNonce: new Uint8Array(16), certDer: odd.certDer })
        expect(parseResponse(await post(second.url, forged.der)).error).toMatch(/recipNonce/)
        const conf = buildCertConfMessage({ reference: e.reference, secret: e.authCode, transactionID: ir.transactionID, recipNonce: ipNonces.get(e.reference)!, certDer: odd.certDer })
        expect(parseResponse(await post(second.url, conf.der)).type).toBe('pkiconf')
      }
      // The restarted center issues again and serves its CRL.
      const e = late[0]!
      const ir = await buildIrMessage({ reference: e.reference, secret: e.authCode, ...ecKey() })
      expect((await enroll(second.url, e, ir)).length).toBeGreaterThan(100)
      expect((await fetch(`${second.url}/crl`)).status).toBe(200)
    } finally {
      second.child.kill('SIGTERM')
      await new Promise<void>((ok) => (second.child.exitCode !== null ? ok() : second.child.once('exit', () => ok())))
    }
    expect(second.child.exitCode).toBe(0)
  })
})
