import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'libsql'
import pg from 'pg'
import { CertError } from '../shared/errors'

/**
 * The lock that tells a restore whether a center still serves on the data.
 *
 * Every serving process (a lone `center serve`, each `--workers` process and their primary,
 * every PostgreSQL node, the app's embedded center) holds it *shared* for as long as it runs;
 * a restore takes it *exclusively*, without waiting, and refuses when it cannot. The operating
 * system or the database server drops it with the process, so a center killed with -9 leaves no
 * stale lock behind, and a center starting during a restore waits for the restore to end.
 *
 * - SQLite: a read transaction on `center.lock` beside `center.db` (SQLite's own file locks:
 *   fcntl on POSIX, LockFileEx on Windows; a read holds SHARED, `BEGIN EXCLUSIVE` needs none).
 * - PostgreSQL: a session advisory lock on SERVING_LOCK_KEY, held by one connection per
 *   process (several nodes on separate machines share nothing else than the database).
 */
export const SERVING_LOCK_FILE = 'center.lock'

/** "CMGS": apart from the write-transaction lock (pg-client.ts, "CMGR"). */
export const SERVING_LOCK_KEY = 0x434d4753

/** How long a starting center waits for a restore in progress to end. */
const START_WAIT_MS = 30_000

export interface HeldLock {
  release(): Promise<void>
}

const RUNNING = 'a center is still serving on this database: stop it (every process and every node) before restoring'

/** The lock file's connection; it never waits inside SQLite (a busy wait there blocks the event loop). */
function sqliteLock(dataDir: string): InstanceType<typeof Database> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  return new Database(join(dataDir, SERVING_LOCK_FILE), { timeout: 0 })
}

/** Ends the transaction first: that is what lets go of the lock, whenever the connection itself goes. */
function endSqliteLock(db: InstanceType<typeof Database>): void {
  if (!db.open) return
  try {
    db.exec('ROLLBACK')
  } finally {
    db.close()
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}

const LOCK_APP_NAME = 'certmgr-center-lock'
/** How soon a node whose lock connection was cut (PostgreSQL restarted, the session killed) tries to take the lock again. */
const RETAKE_MS = 500

async function pgConnect(dbUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: dbUrl, application_name: LOCK_APP_NAME })
  // A dropped connection drops the lock too (see PgServingLock); it must not take the process down with an unhandled 'error'.
  client.on('error', () => undefined)
  await client.connect()
  return client
}

async function tryShared(client: pg.Client): Promise<boolean> {
  return (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock_shared($1) AS ok', [SERVING_LOCK_KEY])).rows[0]?.ok === true
}

/**
 * The serving lock of one PostgreSQL node: a session lock lives as long as its connection, so
 * when that connection is cut while the node keeps serving, the lock is taken again on a new
 * one (every RETAKE_MS until it holds), instead of leaving the node unseen by a restore.
 */
class PgServingLock implements HeldLock {
  private client: pg.Client | undefined
  private released = false
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly dbUrl: string) {}

  async start(): Promise<void> {
    const client = await pgConnect(this.dbUrl)
    try {
      const deadline = Date.now() + START_WAIT_MS
      while (!(await tryShared(client))) {
        if (Date.now() > deadline) throw new CertError('CONFLICT', 'a restore of the center database is in progress')
        await new Promise((r) => setTimeout(r, 200))
      }
    } catch (err) {
      await client.end().catch(() => undefined)
      throw err
    }
    this.hold(client)
  }

  private hold(client: pg.Client): void {
    this.client = client
    client.once('end', () => {
      if (this.client === client) this.client = undefined
      if (!this.released) this.retake()
    })
  }

  private retake(): void {
    this.timer = setTimeout(() => {
      void (async () => {
        let client: pg.Client | undefined
        try {
          client = await pgConnect(this.dbUrl)
          if (!this.released && (await tryShared(client))) {
            // released meanwhile: this connection must not outlive the center
            if (this.released) await client.end().catch(() => undefined)
            else this.hold(client)
            return
          }
        } catch {
          // the server is not back yet
        }
        await client?.end().catch(() => undefined)
        if (!this.released) this.retake()
      })()
    }, RETAKE_MS)
    this.timer.unref()
  }

  async release(): Promise<void> {
    this.released = true
    clearTimeout(this.timer)
    await this.client?.end().catch(() => undefined)
    this.client = undefined
  }
}

/** Held shared by every process that serves the center, from before it opens the database until it stops. */
export async function holdServingLock(dataDir: string, dbUrl?: string): Promise<HeldLock> {
  if (dbUrl !== undefined) {
    const lock = new PgServingLock(dbUrl)
    await lock.start()
    return lock
  }
  const db = sqliteLock(dataDir)
  const deadline = Date.now() + START_WAIT_MS
  for (;;) {
    try {
      // exec, not prepare: a statement left unfinalized would keep the connection (and its lock)
      // alive after close() until garbage collection.
      db.exec('BEGIN; SELECT count(*) FROM sqlite_master;')
      break
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK')
      if (!isBusy(err) || Date.now() > deadline) {
        db.close()
        if (isBusy(err)) throw new CertError('CONFLICT', 'a restore of the center database is in progress')
        throw err
      }
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return { release: async () => endSqliteLock(db) }
}

/**
 * Taken by a restore for its whole run: fails at once, with one line for the operator, while
 * any center process holds the serving lock.
 */
export async function takeRestoreLock(dataDir: string, dbUrl?: string): Promise<HeldLock> {
  if (dbUrl !== undefined) {
    const client = await pgConnect(dbUrl)
    let ok = false
    try {
      ok = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SERVING_LOCK_KEY])).rows[0]?.ok === true
    } finally {
      if (!ok) await client.end().catch(() => undefined)
    }
    if (!ok) throw new CertError('CONFLICT', RUNNING)
    return { release: () => client.end().catch(() => undefined) }
  }
  const db = sqliteLock(dataDir)
  try {
    db.exec('BEGIN EXCLUSIVE')
  } catch (err) {
    db.close()
    if (isBusy(err)) throw new CertError('CONFLICT', RUNNING)
    throw err
  }
  return { release: async () => endSqliteLock(db) }
}
