/**
 * Several center nodes on one PostgreSQL database: separate `certmgr center serve --db`
 * processes on separate ports, each with its own copy of the first node's data directory (as
 * on separate machines). Concurrent issuance on both gives distinct serials; a certConf may
 * reach another node than its `ir`, also after the node that answered the `ir` was killed in
 * the middle of issuing; a revocation made on either node shows in the one CRL both serve.
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { buildCertConfMessage, buildIrMessage, parseResponse } from '../../center/cmp/test-client'
import { revoke } from '../../core/enroll/cmp-client'
import { ecKey, issueOver, postCmp, serveCenter, type CenterProcess, type Enrollment } from '../helpers/center-process'
import { createTestDatabase } from '../helpers/postgres'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'center-pg-nodes-'))
const running: CenterProcess[] = []
let pg: { url: string; drop(): Promise<void> }
const dataA = join(dir, 'node-a')
const dataB = join(dir, 'node-b')
let a: CenterProcess
let b: CenterProcess

afterAll(async () => {
  for (const c of running) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
  await pg?.drop()
  rmSync(dir, { recursive: true, force: true })
})

async function enrollments(n: number, tag: number): Promise<Enrollment[]> {
  const db = await openCenterDb(dataA, { dbUrl: pg.url })
  try {
    const ra = new Ra(db, { keyDir: dataA })
    const out: Enrollment[] = []
    for (let i = 0; i < n; i++) {
      const { customerId } = await ra.createCustomer({ name: `노드${tag}-${i}`, idn: String(6000000000000 + tag * 10_000 + i), phone: '01022223333' })
      out.push(await ra.createEnrollmentCodes(customerId, 'limited', 'issue'))
    }
    return out
  } finally {
    db.close()
  }
}

async function crlText(url: string, name: string): Promise<string> {
  const f = join(dir, name)
  writeFileSync(f, new Uint8Array(await (await fetch(`${url}/crl`, { headers: { Connection: 'close' } })).arrayBuffer()))
  return (await run('/usr/bin/openssl', ['crl', '-inform', 'der', '-in', f, '-noout', '-text'])).stdout.replace(/\s/g, '')
}

async function verifyAll(certs: Uint8Array[], caUrl: string): Promise<number> {
  const caPem = join(dir, 'ca.pem')
  writeFileSync(caPem, new X509Certificate(new Uint8Array(await (await fetch(`${caUrl}/ca.crt`)).arrayBuffer())).toString())
  const files = certs.map((c, i) => {
    const f = join(dir, `v${i}.pem`)
    writeFileSync(f, new X509Certificate(c).toString())
    return f
  })
  const { stdout } = await run('/usr/bin/openssl', ['verify', '-CAfile', caPem, ...files])
  return stdout.split('\n').filter((l) => l.endsWith(': OK')).length
}

describe('center nodes sharing one PostgreSQL', () => {
  beforeAll(async () => {
    pg = await createTestDatabase()
    // The first node creates the keys and migrates the database; the second gets a copy of its data directory.
    a = await serveCenter(['--data', dataA, '--db', pg.url])
    running.push(a)
    mkdirSync(dataB, { mode: 0o700 })
    for (const f of ['ca-key.p8.pem', 'ca-secret', 'ca.crt', 'ra-secret.key']) copyFileSync(join(dataA, f), join(dataB, f))
    b = await serveCenter(['--data', dataB, '--db', pg.url])
    running.push(b)
    expect(new URL(a.url).port).not.toBe(new URL(b.url).port)
  })

  it('refuses a node whose data directory holds another CA than the database', async () => {
    await expect(serveCenter(['--data', join(dir, 'stranger'), '--db', pg.url])).rejects.toThrow(/another CA/)
  })

  it('issues concurrently on both nodes with distinct serials, each certConf answered by the other node', async () => {
    const list = await enrollments(40, 1)
    const certs = await Promise.all(list.map((e, i) => (i % 2 === 0 ? issueOver(a.url, b.url, e) : issueOver(b.url, a.url, e))))
    const serials = certs.map((c) => new X509Certificate(c).serialNumber)
    expect(new Set(serials).size).toBe(40)
    expect(await verifyAll(certs, b.url)).toBe(40)
    const db = await openCenterDb(dataA, { dbUrl: pg.url })
    try {
      const rs = await db.execute("SELECT count(*) AS n, count(DISTINCT serial_hex) AS d FROM ca_certs WHERE status = 'active'")
      expect(rs.rows[0]).toMatchObject({ n: 40, d: 40 })
    } finally {
      db.close()
    }
  })

  it('keeps issuing on the other node when one is killed mid-issuance, and confirms its transactions there', async () => {
    const list = await enrollments(24, 2)
    const keys = list.map(() => ecKey())
    const irs = await Promise.all(list.map((e, i) => buildIrMessage({ reference: e.reference, secret: e.authCode, ...keys[i]! })))
    const answered: { i: number; certDer: Uint8Array; nonce: Uint8Array }[] = []
    let killed = false
    await Promise.all(
      list.map(async (e, i) => {
        try {
          const ip = parseResponse(await postCmp(a.url, irs[i]!.der))
          if (ip.type !== 'ip') return
          answered.push({ i, certDer: ip.certDer!, nonce: ip.senderNonce! })
          if (answered.length >= 8 && !killed) {
            killed = true
            a.child.kill('SIGKILL')
          }
        } catch {
          // cut by the kill
        }
      }),
    )
    expect(killed).toBe(true)
    await new Promise<void>((ok) => (a.child.signalCode !== null ? ok() : a.child.once('exit', () => ok())))
    expect(a.child.signalCode).toBe('SIGKILL')
    // Every ir node A answered before it died is confirmed on node B.
    for (const r of answered) {
      const e = list[r.i]!
      const conf = buildCertConfMessage({ reference: e.reference, secret: e.authCode, transactionID: irs[r.i]!.transactionID, recipNonce: r.nonce, certDer: r.certDer })
      expect(parseResponse(await postCmp(b.url, conf.der)).type).toBe('pkiconf')
    }
    const db = await openCenterDb(dataB, { dbUrl: pg.url })
    try {
      // Nothing active without a confirmation on record, at most one valid certificate per customer.
      const bad = await db.execute(
        `SELECT count(*) AS n FROM ca_certs c LEFT JOIN cmp_transactions t ON t.transaction_id = c.transaction_id
         WHERE c.status = 'active' AND (c.confirmed_at IS NULL OR t.state IS NULL OR t.state <> 'done')`,
      )
      expect(bad.rows[0]?.n).toBe(0)
      const twice = await db.execute("SELECT customer_id FROM ca_certs WHERE status = 'active' GROUP BY customer_id HAVING count(*) > 1")
      expect(twice.rows).toHaveLength(0)
      for (const r of answered) {
        const row = await db.execute({ sql: 'SELECT status FROM ca_certs WHERE serial_hex = ?', args: [new X509Certificate(r.certDer).serialNumber.toLowerCase()] })
        expect(row.rows[0]?.status).toBe('active')
      }
    } finally {
      db.close()
    }
    // Node A comes back on the same database and issues again.
    a = await serveCenter(['--data', dataA, '--db', pg.url])
    running.push(a)
    const [late] = await enrollments(1, 3)
    expect((await issueOver(a.url, b.url, late!)).length).toBeGreaterThan(100)
  })

  it('serves one CRL from both nodes that shows revocations made on either', async () => {
    const list = await enrollments(2, 4)
    const keys = list.map(() => ecKey())
    const certs: Uint8Array[] = []
    for (const [i, e] of list.entries()) certs.push(await issueOver(a.url, a.url, e, await buildIrMessage({ reference: e.reference, secret: e.authCode, ...keys[i]! })))
    // Both at once, one on each node.
    await Promise.all([revoke({ url: a.url, certDer: certs[0]!, key: keys[0]!.privateKey }), revoke({ url: b.url, certDer: certs[1]!, key: keys[1]!.privateKey })])
    const serials = certs.map((c) => `SerialNumber:${new X509Certificate(c).serialNumber.toUpperCase()}`)
    const [fromA, fromB] = await Promise.all([crlText(a.url, 'a.crl'), crlText(b.url, 'b.crl')])
    for (const s of serials) {
      expect(fromA).toContain(s)
      expect(fromB).toContain(s)
    }
    expect(fromA).toBe(fromB)
  })
})
