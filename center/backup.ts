import { randomBytes } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import Database from 'libsql'
import { CertError } from '../shared/errors'
import { caMigrations } from './ca/migrations'
import { CENTER_DB_FILE, openCenterDb, type Migration } from './db'
import { raMigrations } from './ra/migrations'
import { takeRestoreLock } from './serving-lock'

/**
 * Backup and restore of the center's SQLite database (a center on PostgreSQL: see
 * center/pg-backup.ts, which runs PostgreSQL's own `pg_dump` / `pg_restore`). The backup
 * holds the tables only; the data directory's key files (CA key and secret, ca.crt, the RA key)
 * are backed up apart from it, so a copied backup alone reveals no sealed column.
 */

export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

export function fsyncDir(path: string): void {
  try {
    fsyncFile(path)
  } catch {
    // directories cannot be opened for fsync on every platform
  }
}

/**
 * Writes a consistent copy of the database to `outFile` while the center keeps serving:
 * `VACUUM INTO` reads one snapshot (a read transaction: writers go on, in WAL mode) into a new,
 * compact file. Written under a temporary name and linked into place, so `outFile` is either
 * absent or whole; an existing `outFile` is never overwritten.
 */
export async function backupCenterDb(dataDir: string, outFile: string): Promise<{ bytes: number }> {
  const out = resolve(outFile)
  if (existsSync(out)) throw new CertError('CONFLICT', `${outFile} already exists`, { reason: 'exists' })
  if (!existsSync(join(dataDir, CENTER_DB_FILE))) throw new CertError('NOT_FOUND', `no center database in ${dataDir}`)
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`)
  const db = await openCenterDb(dataDir)
  try {
    await db.execute({ sql: 'VACUUM INTO ?', args: [tmp] })
  } finally {
    db.close()
  }
  let bytes: number
  try {
    bytes = checkBackup(tmp).bytes
    fsyncFile(tmp)
    linkSync(tmp, out)
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw new CertError('CONFLICT', `${outFile} already exists`, { reason: 'exists' })
    throw err
  } finally {
    unlinkSync(tmp)
  }
  fsyncDir(dirname(out))
  return { bytes }
}

/**
 * The rule both stores' restores check (SQLite here, PostgreSQL in pg-backup.ts): `versions`,
 * the newest migration per module that a backup holds, names both modules and none newer than
 * this build knows. `what` says what the file should have been.
 */
export function requireKnownSchema(file: string, versions: ReadonlyMap<string, number>, what: string): void {
  const newest = (ms: Migration[]) => Math.max(...ms.map((m) => m.version))
  const known: Record<string, number> = { ca: newest(caMigrations), ra: newest(raMigrations) }
  for (const [module, max] of Object.entries(known)) {
    const v = versions.get(module)
    if (v === undefined) throw new CertError('DAMAGED', `${file} is not ${what}`)
    if (v > max) throw new CertError('BAD_REQUEST', `${file} comes from a newer CertMgr (schema ${module} ${v})`)
  }
}

/** Opens `file` read-only and checks it is a whole center database this version can run. */
export function checkBackup(file: string): { bytes: number } {
  // Checked before opening: the binding would create a missing file, and reads a foreign one lazily.
  let head: Buffer
  try {
    head = readFileSync(file).subarray(0, 16)
  } catch {
    throw new CertError('NOT_FOUND', `cannot read ${file}`)
  }
  if (!head.equals(Buffer.from('SQLite format 3\0', 'latin1'))) throw new CertError('DAMAGED', `${file} is not a SQLite database`)
  const db = new Database(file)
  try {
    let ok: unknown
    let versions: { module: string; v: number }[]
    try {
      ok = (db.prepare('PRAGMA integrity_check').raw(true).get() as unknown[] | undefined)?.[0]
      versions = db.prepare('SELECT module, MAX(version) AS v FROM schema_migrations GROUP BY module').all() as { module: string; v: number }[]
    } catch {
      throw new CertError('DAMAGED', `${file} is not a center database backup`)
    }
    if (ok !== 'ok') throw new CertError('DAMAGED', `${file} is damaged (integrity check: ${String(ok)})`)
    requireKnownSchema(file, new Map(versions.map((r) => [r.module, Number(r.v)])), 'a center database backup')
    const bytes = Number((db.prepare('PRAGMA page_count').raw(true).get() as unknown[])[0]) * Number((db.prepare('PRAGMA page_size').raw(true).get() as unknown[])[0])
    return { bytes }
  } finally {
    db.close()
  }
}

/**
 * Puts the backup `fromFile` in place of the data directory's database. The center must be
 * stopped: while any process serves on the data (it holds the serving lock, see
 * center/serving-lock.ts) this refuses before touching anything. The backup is checked first,
 * copied beside the database and flushed, the old database (with its WAL folded in) is kept as
 * `center.db.before-restore-<time>`, and only then is the copy renamed into place: at every
 * moment one whole database is there.
 */
export async function restoreCenterDb(dataDir: string, fromFile: string): Promise<{ kept?: string }> {
  if (!existsSync(fromFile)) throw new CertError('NOT_FOUND', `cannot read ${fromFile}`)
  const target = join(dataDir, CENTER_DB_FILE)
  const tmp = join(dataDir, `.${CENTER_DB_FILE}.${randomBytes(4).toString('hex')}.restore.tmp`)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  // Held until the new file is in place: a center starting meanwhile waits for it.
  const lock = await takeRestoreLock(dataDir)
  let kept: string | undefined
  try {
    copyFileSync(fromFile, tmp)
    // The copy is what gets checked, so nothing is opened (or created) beside the backup itself.
    checkBackup(tmp)
    fsyncFile(tmp)
    if (existsSync(target)) {
      // Fold the WAL into the old file so the kept copy is whole, then move it aside. A WAL left
      // beside the restored file would be replayed onto it.
      const old = new Database(target)
      try {
        old.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      } finally {
        old.close()
      }
      kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
      renameSync(target, kept)
      for (const side of ['-wal', '-shm']) if (existsSync(target + side)) unlinkSync(target + side)
    }
    renameSync(tmp, target)
    fsyncDir(dataDir)
  } finally {
    for (const f of [tmp, tmp + '-wal', tmp + '-shm']) if (existsSync(f)) unlinkSync(f)
    await lock.release()
  }
  return { kept }
}
