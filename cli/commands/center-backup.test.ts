/**
 * `certmgr center backup` while the center serves, `certmgr center restore` refused while a
 * center still serves on the data, and a restore followed by a new `center serve` that serves
 * the restored data (certificates, CRL, customers) and not what came after the backup.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../certmgr'
import type { CliIO } from '../command'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { revoke } from '../../core/enroll/cmp-client'
import { certmgr, crlSerials as crlSerialsIn, issueKept as issueKeptOver, issueOver, serveCenter, type CenterProcess, type Enrollment } from '../../tests/helpers/center-process'

const dir = mkdtempSync(join(tmpdir(), 'center-backup-'))
const running: CenterProcess[] = []
const crlSerials = (url: string, name: string): Promise<string[]> => crlSerialsIn(url, dir, name)
const issueKept = (url: string, e: Enrollment) => issueKeptOver(url, url, e)

afterAll(async () => {
  for (const c of running) await c.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIO = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readSecret: async () => '' }
  return { code: await main(args, io), out, err }
}

/** Customers with enrollment codes, written as the operator CLI would (same database, another process's view). */
async function enrollments(dataDir: string, names: string[]): Promise<(Enrollment & { customerId: string })[]> {
  const db = await openCenterDb(dataDir)
  try {
    const ra = new Ra(db, { keyDir: dataDir })
    const out: (Enrollment & { customerId: string })[] = []
    for (const [i, name] of names.entries()) {
      const { customerId } = await ra.createCustomer({ name, idn: String(7000000000000 + Math.floor(Math.random() * 1e9) * 10 + i), phone: '01012341234' })
      out.push({ customerId, ...(await ra.createEnrollmentCodes(customerId, 'limited', 'issue')) })
    }
    return out
  } finally {
    db.close()
  }
}

describe('certmgr center backup / restore', () => {
  it('backs up a serving center under load, refuses to restore while it serves, and a restored center serves what the backup held', async () => {
    const data = join(dir, 'data')
    const first = await serveCenter(['--data', data])
    running.push(first)
    const before = await enrollments(data, ['백업전', '백업중1', '백업중2', '백업중3', '백업중4', '폐지전'])
    const kept = await issueKept(first.url, before[0]!)
    // Revoked before the backup: the restored CRL lists it.
    const revokedBefore = await issueKept(first.url, before[5]!)
    await revoke({ url: first.url, certDer: revokedBefore.certDer, key: revokedBefore.key })

    // Issuances keep going while the backup runs in its own process.
    const backupFile = join(dir, 'center-backup.db')
    const [backup, ...during] = await Promise.all([certmgr(['center', 'backup', '--data', data, '--out', backupFile]), ...before.slice(1, 5).map((e) => issueOver(first.url, first.url, e))])
    expect(backup.stderr).toBe('')
    expect(backup.code).toBe(0)
    expect(backup.stdout).toMatch(/backed up to .*center-backup\.db/)
    expect(during).toHaveLength(4)
    // An existing file is never overwritten.
    const again = await inProcess(['center', 'backup', '--data', data, '--out', backupFile])
    expect(again.code).not.toBe(0)
    expect(again.err).toMatch(/already exists/)
    expect(again.err.trim().split('\n')).toHaveLength(1)

    // After the backup: one more customer, and the kept certificate revoked.
    const after = await enrollments(data, ['백업후'])
    await revoke({ url: first.url, certDer: kept.certDer, key: kept.key })
    const keptSerial = new X509Certificate(kept.certDer).serialNumber.toUpperCase()
    const revokedSerial = new X509Certificate(revokedBefore.certDer).serialNumber.toUpperCase()
    expect(await crlSerials(first.url, 'crl-before-restore.der')).toEqual(expect.arrayContaining([keptSerial, revokedSerial]))

    // While the center serves, a restore is refused in one line and changes nothing.
    const refused = await certmgr(['center', 'restore', '--data', data, '--from', backupFile])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/a center is still serving on this database: stop it/)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(readdirSync(data).some((f) => f.startsWith('center.db.before-restore-'))).toBe(false)
    expect((await fetch(`${first.url}/ca.crt`)).status).toBe(200)

    expect(await first.stop()).toBe(0)
    const restore = await certmgr(['center', 'restore', '--data', data, '--from', backupFile])
    expect(restore.stderr).toBe('')
    expect(restore.code).toBe(0)
    expect(readdirSync(data).some((f) => f.startsWith('center.db.before-restore-'))).toBe(true)

    const second = await serveCenter(['--data', data])
    running.push(second)
    // The restored center knows the certificate issued before the backup as active again (its
    // revocation came after the backup), and its CRL lists only the revocation from before.
    const db = await openCenterDb(data)
    try {
      const row = await db.execute({ sql: 'SELECT status FROM ca_certs WHERE serial_hex = ?', args: [keptSerial.toLowerCase()] })
      expect(row.rows[0]?.status).toBe('active')
      // The customer added after the backup is gone with the restore.
      expect((await db.execute({ sql: 'SELECT id FROM ra_customers WHERE id = ?', args: [after[0]!.customerId] })).rows).toHaveLength(0)
    } finally {
      db.close()
    }
    const crl = await crlSerials(second.url, 'crl-after-restore.der')
    expect(crl).toContain(revokedSerial)
    expect(crl).not.toContain(keptSerial)
    // A customer registered before the backup gets codes and a certificate from the restored center.
    const codes = await inProcess(['center', 'codes', '--data', data, '--customer', before[1]!.customerId, '--type', 'general', '--json'])
    expect(codes.code).toBe(0)
    const fresh = JSON.parse(codes.out) as Enrollment
    expect(new X509Certificate(await issueOver(second.url, second.url, fresh)).serialNumber).toMatch(/^[0-9A-F]+$/)
    const gone = await inProcess(['center', 'codes', '--data', data, '--customer', after[0]!.customerId, '--type', 'limited'])
    expect(gone.code).toBe(2)
    expect(gone.err).toMatch(/no such customer/)
  })

  it('refuses to restore while a --workers 2 center serves, and not after a center was killed with -9 (the lock dies with it)', async () => {
    const data = join(dir, 'data-workers')
    const cluster = await serveCenter(['--data', data, '--workers', '2'])
    running.push(cluster)
    const backupFile = join(dir, 'workers-backup.db')
    expect((await inProcess(['center', 'backup', '--data', data, '--out', backupFile])).code).toBe(0)
    const refused = await inProcess(['center', 'restore', '--data', data, '--from', backupFile])
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(/still serving/)
    expect(await cluster.stop()).toBe(0)
    expect((await inProcess(['center', 'restore', '--data', data, '--from', backupFile])).code).toBe(0)

    const lone = await serveCenter(['--data', data])
    running.push(lone)
    expect((await inProcess(['center', 'restore', '--data', data, '--from', backupFile])).err).toMatch(/still serving/)
    lone.child.kill('SIGKILL')
    await new Promise((r) => lone.child.once('exit', r))
    const afterKill = await inProcess(['center', 'restore', '--data', data, '--from', backupFile])
    expect(afterKill.err).toBe('')
    expect(afterKill.code).toBe(0)
  })

  it('refuses a file that is not a center backup, and says so when PostgreSQL is down, in one line', async () => {
    const data = join(dir, 'data2')
    const junk = join(dir, 'junk.db')
    writeFileSync(junk, 'not a database at all')
    const bad = await inProcess(['center', 'restore', '--data', data, '--from', junk])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/is not a SQLite database/)
    expect(bad.err.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(data, 'center.db'))).toBe(false)
    const pg = await inProcess(['center', 'backup', '--data', data, '--db', 'postgres://nobody:pw@127.0.0.1:1/x', '--out', join(dir, 'x.db')])
    expect(pg.code).toBe(2)
    expect(pg.err).toMatch(/pg_dump failed: .*127\.0\.0\.1.*refused/)
    expect(pg.err).not.toContain('pw')
    expect(pg.err.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(dir, 'x.db'))).toBe(false)
    // A PostgreSQL that is not there is one line, without a stack.
    const down = await inProcess(['center', 'outbox', '--data', data, '--db', 'postgres://nobody@127.0.0.1:1/x'])
    expect(down.code).not.toBe(0)
    expect(down.err).toMatch(/cannot reach the center database \(ECONNREFUSED\)/)
    expect(down.err.trim().split('\n')).toHaveLength(1)
  })
})
