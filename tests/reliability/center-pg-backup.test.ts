/**
 * Backup and restore of a center on PostgreSQL with Debian's `pg_dump`/`pg_restore`, run by
 * `certmgr center backup|restore --db`, against two running `certmgr center serve --db` nodes:
 * the dump is taken while both issue, a restore is refused while either node still serves, and
 * after a restore both nodes serve the restored state (certificates, CRL, customers).
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pgDriver from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { revoke } from '../../core/enroll/cmp-client'
import { certmgr, crlSerials as crlSerialsIn, issueKept, issueOver, serveCenter, type CenterProcess, type Enrollment } from '../helpers/center-process'
import { createTestDatabase } from '../helpers/postgres'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'center-pg-backup-'))
const running: CenterProcess[] = []
const dbs: { drop(): Promise<void> }[] = []
const crlSerials = (url: string, name: string): Promise<string[]> => crlSerialsIn(url, dir, name)

afterAll(async () => {
  for (const c of running) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
  for (const d of dbs) await d.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('center on PostgreSQL: pg_dump / pg_restore with two nodes', () => {
  it('dumps while both nodes issue, refuses a restore while either serves, and both nodes serve the restored state', async () => {
    const pg = await createTestDatabase()
    dbs.push(pg)
    const dataA = join(dir, 'node-a')
    const dataB = join(dir, 'node-b')
    const a = await serveCenter(['--data', dataA, '--db', pg.url])
    running.push(a)
    mkdirSync(dataB, { mode: 0o700 })
    for (const f of ['ca-key.p8.pem', 'ca-secret', 'ca.crt', 'ra-secret.key']) copyFileSync(join(dataA, f), join(dataB, f))
    const b = await serveCenter(['--data', dataB, '--db', pg.url])
    running.push(b)

    const enroll = async (names: string[]) => {
      const db = await openCenterDb(dataA, { dbUrl: pg.url })
      try {
        const ra = new Ra(db, { keyDir: dataA })
        const out: (Enrollment & { customerId: string })[] = []
        for (const [i, name] of names.entries()) {
          const { customerId } = await ra.createCustomer({ name, idn: String(5000000000000 + Math.floor(Math.random() * 1e9) * 10 + i), phone: '01033334444' })
          out.push({ customerId, ...(await ra.createEnrollmentCodes(customerId, 'limited', 'issue')) })
        }
        return out
      } finally {
        db.close()
      }
    }
    const before = await enroll(['덤프전', '폐지전', '덤프중1', '덤프중2', '덤프중3', '덤프중4'])
    const kept = await issueKept(a.url, b.url, before[0]!)
    const revokedBefore = await issueKept(b.url, a.url, before[1]!)
    await revoke({ url: b.url, certDer: revokedBefore.certDer, key: revokedBefore.key })

    // The dump runs in its own process while issuances go on over both nodes.
    const dump = join(dir, 'center.dump')
    const [backup, ...during] = await Promise.all([
      certmgr(['center', 'backup', '--data', dataA, '--db', pg.url, '--out', dump]),
      ...before.slice(2).map((e, i) => (i % 2 === 0 ? issueOver(a.url, b.url, e) : issueOver(b.url, a.url, e))),
    ])
    expect(backup.stderr).toBe('')
    expect(backup.code).toBe(0)
    expect(backup.stdout).toMatch(/backed up to .*center\.dump/)
    expect(during).toHaveLength(4)
    // A real custom-format dump, as PostgreSQL's own tool lists it.
    const listing = (await run('pg_restore', ['--list', dump])).stdout
    expect(listing).toMatch(/TABLE public ca_certs/)
    expect(listing).toMatch(/TABLE public ra_customers/)

    // After the dump: a new customer, and the kept certificate revoked on node A.
    const after = await enroll(['덤프후'])
    await revoke({ url: a.url, certDer: kept.certDer, key: kept.key })
    expect(await crlSerials(b.url, 'crl-before.der')).toEqual(expect.arrayContaining([kept.serial, revokedBefore.serial]))

    // A node whose lock connection is cut (PostgreSQL restarted, the session killed) keeps
    // serving; it takes the serving lock again, so a restore still sees it.
    const lockSessions = async (terminate: boolean): Promise<number> => {
      const admin = new pgDriver.Client({ connectionString: pg.url })
      await admin.connect()
      try {
        const sql = `SELECT ${terminate ? 'pg_terminate_backend(pid)' : 'pid'} FROM pg_stat_activity WHERE application_name = 'certmgr-center-lock' AND datname = current_database()`
        return (await admin.query(sql)).rowCount ?? 0
      } finally {
        await admin.end()
      }
    }
    expect(await lockSessions(true)).toBe(2)
    for (let i = 0; i < 100 && (await lockSessions(false)) < 2; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await lockSessions(false)).toBe(2)

    // Refused while both nodes serve, and still while one does; nothing is kept or changed.
    for (const node of [a, b]) {
      const refused = await certmgr(['center', 'restore', '--data', dataA, '--db', pg.url, '--from', dump])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/a center is still serving on this database: stop it/)
      expect(refused.stderr.trim().split('\n')).toHaveLength(1)
      expect(readdirSync(dataA).some((f) => f.startsWith('center.before-restore-'))).toBe(false)
      expect(await node.stop()).toBe(0)
    }

    const restore = await certmgr(['center', 'restore', '--data', dataA, '--db', pg.url, '--from', dump])
    expect(restore.stderr).toBe('')
    expect(restore.code).toBe(0)
    // What the database held before the restore is kept as a dump of its own.
    const keptDump = readdirSync(dataA).find((f) => /^center\.before-restore-.*\.dump$/.test(f))
    expect(keptDump).toBeDefined()
    expect((await run('pg_restore', ['--list', join(dataA, keptDump!)])).stdout).toMatch(/TABLE public ca_certs/)

    const a2 = await serveCenter(['--data', dataA, '--db', pg.url])
    running.push(a2)
    const b2 = await serveCenter(['--data', dataB, '--db', pg.url])
    running.push(b2)
    const db = await openCenterDb(dataA, { dbUrl: pg.url })
    try {
      const row = await db.execute({ sql: 'SELECT status FROM ca_certs WHERE serial_hex = ?', args: [kept.serial.toLowerCase()] })
      expect(row.rows[0]?.status).toBe('active')
      expect((await db.execute({ sql: 'SELECT id FROM ra_customers WHERE id = ?', args: [after[0]!.customerId] })).rows).toHaveLength(0)
      expect((await db.execute({ sql: 'SELECT id FROM ra_customers WHERE id = ?', args: [before[0]!.customerId] })).rows).toHaveLength(1)
    } finally {
      db.close()
    }
    // Both nodes serve the restored CRL: the revocation from before the dump, not the one after.
    for (const [i, node] of [a2, b2].entries()) {
      const crl = await crlSerials(node.url, `crl-after-${i}.der`)
      expect(crl).toContain(revokedBefore.serial)
      expect(crl).not.toContain(kept.serial)
    }
    // A customer from before the dump gets new codes and a certificate across the two nodes.
    const [fresh] = await (async () => {
      const d = await openCenterDb(dataA, { dbUrl: pg.url })
      try {
        return [await new Ra(d, { keyDir: dataA }).createEnrollmentCodes(before[2]!.customerId, 'general', 'issue')]
      } finally {
        d.close()
      }
    })()
    expect(new X509Certificate(await issueOver(b2.url, a2.url, fresh!)).serialNumber).toMatch(/^[0-9A-F]+$/)
  })

  it('restores a dump into a new, empty database (another server after a loss) and refuses what is not a center dump', async () => {
    const source = join(dir, 'center.dump')
    expect(existsSync(source)).toBe(true)
    const fresh = await createTestDatabase()
    dbs.push(fresh)
    const data = join(dir, 'node-a')
    const restore = await certmgr(['center', 'restore', '--data', data, '--db', fresh.url, '--from', source])
    expect(restore.stderr).toBe('')
    expect(restore.code).toBe(0)
    const node = await serveCenter(['--data', data, '--db', fresh.url])
    running.push(node)
    expect((await fetch(`${node.url}/crl`, { headers: { Connection: 'close' } })).status).toBe(200)
    expect(await node.stop()).toBe(0)

    const junk = join(dir, 'junk.dump')
    writeFileSync(junk, 'PGDMP but not really')
    const bad = await certmgr(['center', 'restore', '--data', data, '--db', fresh.url, '--from', junk])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/is not a PostgreSQL dump/)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})
