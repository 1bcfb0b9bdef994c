import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Client, Transaction } from '@libsql/client'
import { caMigrations } from './ca/migrations'
import { raMigrations } from './ra/migrations'
import { openLocalClient } from './sqlite-client'

export type Migration = { version: number; sql: string[] }

/** Busy timeout for every pooled connection: another process holding the write lock is waited for. */
const BUSY_TIMEOUT_MS = 5_000

/**
 * One gate per database handle. @libsql/client runs each statement synchronously on a pooled
 * connection; an interactive transaction on one connection that awaits between statements,
 * plus a write on another connection of the same process, would have the second block the event
 * loop in SQLite's busy wait while the first can never get to its COMMIT. So statements and
 * whole transactions of this process take turns here, and SQLite's busy timeout is left for
 * other processes only.
 */
class Gate {
  private tail: Promise<void> = Promise.resolve()

  acquire(): Promise<() => void> {
    const prev = this.tail
    let release!: () => void
    this.tail = new Promise<void>((r) => (release = r))
    return prev.then(() => {
      let done = false
      return () => {
        if (!done) {
          done = true
          release()
        }
      }
    })
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire()
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

function gatedTransaction(tx: Transaction, release: () => void): Transaction {
  return new Proxy(tx, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown // getters (e.g. `closed`) read private fields: run them on the target, not the proxy
      if (prop === 'commit' || prop === 'rollback') {
        return async () => {
          try {
            await (v as () => Promise<void>).call(target)
          } finally {
            if (target.closed) release()
          }
        }
      }
      if (prop === 'close') {
        return () => {
          try {
            target.close()
          } finally {
            release()
          }
        }
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

function gatedClient(client: Client): Client {
  const gate = new Gate()
  const serial = new Set(['execute', 'batch', 'executeMultiple', 'migrate'])
  return new Proxy(client, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown // getters (e.g. `closed`) read private fields: run them on the target, not the proxy
      if (typeof v !== 'function') return v
      const fn = v as (...a: unknown[]) => Promise<unknown>
      if (prop === 'transaction') {
        return async (...args: unknown[]) => {
          const release = await gate.acquire()
          try {
            return gatedTransaction((await fn.apply(target, args)) as Transaction, release)
          } catch (err) {
            release()
            throw err
          }
        }
      }
      if (typeof prop === 'string' && serial.has(prop)) return (...args: unknown[]) => gate.run(() => fn.apply(target, args))
      return fn.bind(target)
    },
  })
}

/**
 * Opens (creating if needed) the center's SQLite database in `dataDir` and migrates it.
 * The `libsql` binding (the one @libsql/client's `file:` driver uses) is an N-API module, so
 * the same code runs under Node and Electron without a rebuild.
 */
export async function openCenterDb(dataDir: string, opts: { autoCheckpoint?: boolean } = {}): Promise<Client> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  // One connection: the gate serialises this process's statements anyway, and per-connection
  // pragmas (synchronous) then hold for every statement.
  const db = gatedClient(openLocalClient(join(dataDir, 'center.db'), { busyTimeoutMs: BUSY_TIMEOUT_MS }))
  try {
    await db.execute('PRAGMA journal_mode=WAL')
    // In WAL mode NORMAL skips the fsync per commit but never corrupts the file; a killed process
    // loses nothing (the WAL is in the OS cache), only a power cut can drop the last commits.
    await db.execute('PRAGMA synchronous=NORMAL')
    // A checkpoint copies the WAL into the database file and fsyncs it: tens of milliseconds
    // during which this process answers nothing. Worker processes leave it to the primary
    // (`checkpointWal`), which serves no requests; a lone process does it itself.
    if (opts.autoCheckpoint === false) await db.execute('PRAGMA wal_autocheckpoint=0')
    await migrate(db, 'ca', caMigrations)
    await migrate(db, 'ra', raMigrations)
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

/** Copies what the WAL holds into the database file without waiting for readers or writers. */
export async function checkpointWal(db: Client): Promise<void> {
  await db.execute('PRAGMA wal_checkpoint(PASSIVE)')
}

/** Applies the migrations of `module` newer than the recorded version, each in its own write transaction. */
export async function migrate(db: Client, module: string, migrations: Migration[]): Promise<void> {
  await db.execute(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (module, version))`)
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  for (const m of sorted) {
    const tx = await db.transaction('write')
    try {
      // Checked inside the write transaction so two processes opening the same file do not both apply it.
      const done = await tx.execute({ sql: 'SELECT 1 FROM schema_migrations WHERE module = ? AND version = ?', args: [module, m.version] })
      if (done.rows.length > 0) {
        await tx.rollback()
        continue
      }
      for (const sql of m.sql) await tx.execute(sql)
      await tx.execute({ sql: 'INSERT INTO schema_migrations (module, version, applied_at) VALUES (?, ?, ?)', args: [module, m.version, Date.now()] })
      await tx.commit()
    } catch (err) {
      if (!tx.closed) await tx.rollback().catch(() => undefined)
      throw err
    } finally {
      tx.close()
    }
  }
}
