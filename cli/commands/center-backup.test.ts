/**
 * `certmgr center backup` while the center serves, and `certmgr center restore` followed by a
 * new `center serve` that sees the restored data (and not what came after the backup).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../certmgr'
import type { CliIO } from '../command'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { issueOver, serveCenter, type CenterProcess, type Enrollment } from '../../tests/helpers/center-process'

const REPO = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'center-backup-'))
const running: CenterProcess[] = []

afterAll(async () => {
  for (const c of running) await c.stop()
  rmSync(dir, { recursive: true, force: true })
})

function certmgr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', ...args], { cwd: REPO, encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

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
  it('backs up a serving center under load, and a restored center serves what the backup held', async () => {
    const data = join(dir, 'data')
    const first = await serveCenter(['--data', data])
    running.push(first)
    const before = await enrollments(data, ['백업전', '백업중1', '백업중2', '백업중3', '백업중4'])
    const issuedBefore = await issueOver(first.url, first.url, before[0]!)

    // Issuances keep going while the backup runs in its own process.
    const backupFile = join(dir, 'center-backup.db')
    const [backup, ...during] = await Promise.all([certmgr(['center', 'backup', '--data', data, '--out', backupFile]), ...before.slice(1).map((e) => issueOver(first.url, first.url, e))])
    expect(backup.stderr).toBe('')
    expect(backup.code).toBe(0)
    expect(backup.stdout).toMatch(/backed up to .*center-backup\.db/)
    expect(during).toHaveLength(4)
    // An existing file is never overwritten.
    const again = await inProcess(['center', 'backup', '--data', data, '--out', backupFile])
    expect(again.code).not.toBe(0)
    expect(again.err).toMatch(/already exists/)
    expect(again.err.trim().split('\n')).toHaveLength(1)

    // After the backup: one more customer, then the center stops.
    const after = await enrollments(data, ['백업후'])
    expect(await first.stop()).toBe(0)

    const restore = await certmgr(['center', 'restore', '--data', data, '--from', backupFile])
    expect(restore.stderr).toBe('')
    expect(restore.code).toBe(0)
    expect(readdirSync(data).some((f) => f.startsWith('center.db.before-restore-'))).toBe(true)

    const second = await serveCenter(['--data', data])
    running.push(second)
    // The restored center knows the certificate issued before the backup and its CRL is served.
    const db = await openCenterDb(data)
    try {
      const serial = new X509Certificate(issuedBefore).serialNumber.toLowerCase()
      const row = await db.execute({ sql: 'SELECT status FROM ca_certs WHERE serial_hex = ?', args: [serial] })
      expect(row.rows[0]?.status).toBe('active')
      // The customer added after the backup is gone with the restore.
      expect((await db.execute({ sql: 'SELECT id FROM ra_customers WHERE id = ?', args: [after[0]!.customerId] })).rows).toHaveLength(0)
    } finally {
      db.close()
    }
    expect((await fetch(`${second.url}/crl`)).status).toBe(200)
    // A customer registered before the backup gets codes and a certificate from the restored center.
    const codes = await inProcess(['center', 'codes', '--data', data, '--customer', before[0]!.customerId, '--type', 'general', '--json'])
    expect(codes.code).toBe(0)
    const fresh = JSON.parse(codes.out) as Enrollment
    expect(new X509Certificate(await issueOver(second.url, second.url, fresh)).serialNumber).toMatch(/^[0-9A-F]+$/)
    const gone = await inProcess(['center', 'codes', '--data', data, '--customer', after[0]!.customerId, '--type', 'limited'])
    expect(gone.code).toBe(2)
    expect(gone.err).toMatch(/no such customer/)
  })

  it('refuses a file that is not a center backup, points PostgreSQL users to pg_dump, and says so when PostgreSQL is down, in one line', async () => {
    const data = join(dir, 'data2')
    const junk = join(dir, 'junk.db')
    writeFileSync(junk, 'not a database at all')
    const bad = await inProcess(['center', 'restore', '--data', data, '--from', junk])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/is not a SQLite database/)
    expect(bad.err.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(data, 'center.db'))).toBe(false)
    const pg = await inProcess(['center', 'backup', '--data', data, '--db', 'postgres://nobody@127.0.0.1:1/x', '--out', join(dir, 'x.db')])
    expect(pg.code).toBe(2)
    expect(pg.err).toMatch(/pg_dump/)
    // A PostgreSQL that is not there is one line, without a stack.
    const down = await inProcess(['center', 'outbox', '--data', data, '--db', 'postgres://nobody@127.0.0.1:1/x'])
    expect(down.code).not.toBe(0)
    expect(down.err).toMatch(/cannot reach the center database \(ECONNREFUSED\)/)
    expect(down.err.trim().split('\n')).toHaveLength(1)
  })
})
