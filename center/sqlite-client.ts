import type { Client, InArgs, InStatement, InValue, ResultSet, Row, Transaction, TransactionMode } from '@libsql/client'
import type Database from 'libsql'
import { lazyRequire } from '../core/lazy-require'
import { BatchGuardError, guardOf } from './batch-guard'
import { toRow } from './client-row'

type Stmt = ReturnType<Database.Database['prepare']>

/** Prepared statements kept per connection; the center uses a few dozen distinct SQL texts. */
const CACHE_LIMIT = 256

const BEGIN: Record<TransactionMode, string> = { write: 'BEGIN IMMEDIATE', read: 'BEGIN DEFERRED', deferred: 'BEGIN DEFERRED' }

/** @libsql/client's value conversions: blobs as Buffer, booleans as 0/1, dates as milliseconds. */
function toSql(v: InValue): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  if (v instanceof ArrayBuffer) return Buffer.from(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v instanceof Date) return v.valueOf()
  if (v === undefined) throw new TypeError('undefined cannot be bound; use null')
  return v
}


function resultSet(columns: string[], rows: Row[], rowsAffected: number, lastInsertRowid: bigint | undefined): ResultSet {
  return {
    columns,
    columnTypes: columns.map(() => ''),
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({ columns, rows: rows.map((r) => Array.from(r as ArrayLike<unknown>)), rowsAffected, lastInsertRowid: lastInsertRowid?.toString() }),
  }
}

/**
 * A `Client` (the @libsql/client interface the center is written against) over the `libsql`
 * binding it is built on, used directly for local files. @libsql/client prepares every
 * statement afresh and goes through an async connection pool on each call, which costs 5–8×
 * the statement itself (≈ 100–270 µs against ≈ 15–40 µs here, measured on this machine);
 * the center runs about a dozen statements per issuance, so that overhead was a quarter of
 * its CPU. Results keep @libsql/client's shapes, so a remote libSQL client can still take
 * this one's place.
 */
/** The binding, loaded when a database is first opened (not by every importer of the center). */
const loadLibsql = lazyRequire<typeof Database>('libsql')

export function openLocalClient(path: string, opts: { busyTimeoutMs: number }): Client {
  const db = new (loadLibsql())(path)
  // SQLite's own busy handler sleeps the whole thread (1, 2, 5, 10… ms) while another process
  // of the center holds the write lock; with several worker processes that stalled every other
  // request of the waiting process and made the latency tail. The lock is instead waited for
  // here, asynchronously: the process keeps serving while it waits.
  db.exec('PRAGMA busy_timeout = 0')
  const whenFree = async <T>(work: () => T): Promise<T> => {
    const deadline = Date.now() + opts.busyTimeoutMs
    for (let wait = 1; ; wait = Math.min(wait * 2, 8)) {
      try {
        return work()
      } catch (err) {
        // Inside an open transaction the statement cannot simply run again; the caller decides.
        // SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY while another process recovers
        // the WAL on opening, SQLITE_BUSY_SNAPSHOT) all mean "try again shortly".
        if (!String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY') || db.inTransaction || Date.now() >= deadline) throw err
      }
      await new Promise((r) => setTimeout(r, wait))
    }
  }
  const cache = new Map<string, { stmt: Stmt; reader: boolean; columns?: string[] }>()
  let closed = false

  const prepared = (sql: string) => {
    let p = cache.get(sql)
    if (!p) {
      const stmt = db.prepare(sql)
      p = { stmt, reader: stmt.reader }
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!)
      cache.set(sql, p)
    }
    return p
  }

  const run = (s: InStatement | string, args?: InArgs): ResultSet => {
    if (closed) throw new Error('the database is closed')
    const sql = typeof s === 'string' ? s : s.sql
    const a = typeof s === 'string' ? args : s.args
    let bound: unknown[] | Record<string, unknown> = []
    if (Array.isArray(a)) bound = a.map(toSql)
    else if (a) bound = Object.fromEntries(Object.entries(a).map(([k, v]) => [k.replace(/^[@$:]/, ''), toSql(v)]))
    const p = prepared(sql)
    if (p.reader) {
      p.stmt.raw(true)
      const values = p.stmt.all(bound) as unknown[][]
      p.columns ??= (p.stmt.columns() as { name: string }[]).map((c) => c.name)
      const columns = p.columns
      return resultSet(columns, values.map((v) => toRow(v, columns)), 0, undefined)
    }
    const info = p.stmt.run(bound) as { changes: number; lastInsertRowid: number | bigint }
    return resultSet([], [], info.changes, BigInt(info.lastInsertRowid))
  }

  const inBatch = (stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode): ResultSet[] => {
    run(BEGIN[mode])
    try {
      const out = stmts.map((s) => {
        const guard = guardOf(s)
        const rs = Array.isArray(s) ? run(s[0], s[1]) : run(s)
        if (guard !== undefined && rs.rowsAffected === 0) throw new BatchGuardError(guard)
        return rs
      })
      run('COMMIT')
      return out
    } catch (err) {
      if (db.inTransaction) run('ROLLBACK')
      throw err
    }
  }

  const client: Client = {
    protocol: 'file',
    get closed() {
      return closed
    },
    async execute(s: InStatement | string, args?: InArgs) {
      return whenFree(() => run(s, args))
    },
    async batch(stmts, mode = 'deferred') {
      return whenFree(() => inBatch(stmts, mode))
    },
    async migrate(stmts) {
      return whenFree(() => inBatch(stmts, 'write'))
    },
    async transaction(mode: TransactionMode = 'write') {
      await whenFree(() => run(BEGIN[mode]))
      let done = false
      const finish = (sql: string) => {
        if (done) return
        done = true
        try {
          if (db.inTransaction) run(sql)
        } catch (err) {
          // A failed COMMIT must not leave the connection inside the transaction.
          if (db.inTransaction) run('ROLLBACK')
          throw err
        }
      }
      const tx: Transaction = {
        get closed() {
          return done
        },
        async execute(s: InStatement) {
          if (done) throw new Error('the transaction is closed')
          return run(s)
        },
        async batch(stmts: InStatement[]) {
          if (done) throw new Error('the transaction is closed')
          return stmts.map((s) => run(s))
        },
        async executeMultiple(sql: string) {
          db.exec(sql)
        },
        async commit() {
          finish('COMMIT')
        },
        async rollback() {
          finish('ROLLBACK')
        },
        close() {
          finish('ROLLBACK')
        },
      }
      return tx
    },
    async executeMultiple(sql: string) {
      db.exec(sql)
    },
    async sync() {
      return undefined
    },
    close() {
      if (closed) return
      closed = true
      cache.clear()
      db.close()
    },
    reconnect() {
      throw new Error('a local database cannot reconnect')
    },
  } as Client
  return client
}
