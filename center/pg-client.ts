import type { Client, InArgs, InStatement, InValue, ResultSet, Transaction, TransactionMode } from '@libsql/client'
import pg from 'pg'
import { toRow } from './client-row'

/**
 * The advisory lock every write transaction of the center takes on PostgreSQL (an arbitrary
 * constant, "CMGR"). SQLite gives the center one writer at a time (BEGIN IMMEDIATE), and its
 * read-check-write sequences (balances, lockout counters, "one active certificate per customer
 * and type", CRL numbers) are written for that: with this lock, a `write` transaction or batch
 * on PostgreSQL has the same guarantee across every node sharing the database. Plain
 * statements outside a transaction (reads, single conditional updates, inserts on a key) take
 * no lock and run concurrently, as they do on SQLite.
 */
export const WRITE_LOCK_KEY = 0x434d4752

/** Type OIDs whose text form pg hands over as strings: int8 and numeric come back as numbers (ms times and counts fit in 2^53). */
const INT8_OID = 20
const NUMERIC_OID = 1700

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format)
  },
} as unknown as pg.CustomTypesConfig

/** `?` placeholders (the center's SQL, as SQLite takes it) to `$1, $2, …`, leaving quoted text alone. */
export function toPgPlaceholders(sql: string): string {
  let out = ''
  let n = 0
  let quote: string | undefined
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined
      out += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      out += ch
    } else if (ch === '?') {
      out += `$${++n}`
    } else out += ch
  }
  return out
}

function toPg(v: InValue): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  if (v instanceof ArrayBuffer) return Buffer.from(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v instanceof Date) return v.valueOf()
  if (typeof v === 'bigint') return v.toString()
  if (v === undefined) throw new TypeError('undefined cannot be bound; use null')
  return v
}


interface Queryable {
  query(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult>
}

/** Named prepared statements: PostgreSQL parses and plans each distinct SQL text once per connection. */
const statementNames = new Map<string, string>()

async function run(on: Queryable, s: InStatement | string, args?: InArgs): Promise<ResultSet> {
  const sql = typeof s === 'string' ? s : s.sql
  const a = typeof s === 'string' ? args : s.args
  if (a !== undefined && !Array.isArray(a)) throw new TypeError('named arguments are not supported; use ? placeholders')
  let name = statementNames.get(sql)
  if (!name) {
    name = `certmgr_${statementNames.size}`
    statementNames.set(sql, name)
  }
  const res = await on.query({ name, text: toPgPlaceholders(sql), values: (a ?? []).map(toPg), rowMode: 'array' })
  const columns = (res.fields ?? []).map((f) => f.name)
  const rows = (res.rows ?? []).map((v) => toRow(v, columns))
  return {
    columns,
    columnTypes: columns.map(() => ''),
    rows,
    rowsAffected: res.command === 'SELECT' ? 0 : (res.rowCount ?? 0),
    lastInsertRowid: undefined,
    toJSON: () => ({ columns, rows: rows.map((r) => Array.from(r as ArrayLike<unknown>)), rowsAffected: res.rowCount ?? 0 }),
  }
}

/**
 * A value written into SQL text, for batches sent in one round trip (below). Numbers go in
 * parentheses (so `x - ?` with a negative value never becomes a `--` comment), strings as
 * standard-conforming literals (quotes doubled; backslashes are plain characters), blobs as
 * hex bytea.
 */
function literal(v: InValue): string {
  const x = toPg(v)
  if (x === null) return 'NULL'
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new TypeError('only finite numbers can be bound')
    return `(${String(x)})`
  }
  if (Buffer.isBuffer(x)) return `'\\x${x.toString('hex')}'::bytea`
  const text = String(x)
  if (text.includes('\0')) throw new TypeError('text with NUL cannot be stored')
  return `'${text.replace(/'/g, "''")}'`
}

/** `sql` with its `?` placeholders replaced by the literals of `args`, leaving quoted text alone. */
export function inlineArgs(sql: string, args: InValue[]): string {
  let out = ''
  let n = 0
  let quote: string | undefined
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined
      out += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      out += ch
    } else if (ch === '?') {
      if (n >= args.length) throw new RangeError('fewer arguments than placeholders')
      out += literal(args[n++]!)
    } else out += ch
  }
  if (n !== args.length) throw new RangeError('more arguments than placeholders')
  return out
}

function statementText(s: InStatement | [string, InArgs?]): string {
  const [sql, args] = Array.isArray(s) ? s : typeof s === 'string' ? [s, undefined] : [s.sql, s.args]
  if (args !== undefined && !Array.isArray(args)) throw new TypeError('named arguments are not supported; use ? placeholders')
  return inlineArgs(sql, args ?? [])
}

function toResultSet(res: pg.QueryResult): ResultSet {
  const columns = (res.fields ?? []).map((f) => f.name)
  const rows = (res.rows as Record<string, unknown>[]).map((r) => toRow(columns.map((c) => r[c]), columns))
  return {
    columns,
    columnTypes: columns.map(() => ''),
    rows,
    rowsAffected: res.command === 'SELECT' ? 0 : (res.rowCount ?? 0),
    lastInsertRowid: undefined,
    toJSON: () => ({ columns, rows: rows.map((r) => Array.from(r as ArrayLike<unknown>)), rowsAffected: res.rowCount ?? 0 }),
  }
}

/** BEGIN, and for anything but a read-only transaction the center's write lock, in one round trip. */
function beginSql(mode: TransactionMode): string {
  return mode === 'read' ? 'BEGIN READ ONLY' : `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`
}

/**
 * A `Client` (the @libsql/client interface the center is written against) over a PostgreSQL
 * connection pool, so the CA, the RA and the CMP service run unchanged on either store. The SQL
 * they send is the portable subset both take (`?` placeholders are renumbered here); see
 * center/db.ts for the rules and for how migrations differ.
 */
export function openPgClient(url: string, opts: { max?: number } = {}): Client {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 8,
    types: typeParsers,
    // Idle connections must not keep a CLI command's process alive.
    allowExitOnIdle: true,
    application_name: 'certmgr-center',
    // Batches inline values as standard-conforming literals (see literal()): a server or database
    // whose default is off would read a backslash as an escape and let a value end its string.
    options: '-c standard_conforming_strings=on',
  })
  // A server restart breaks idle pooled connections; the pool drops them and makes new ones.
  pool.on('error', () => undefined)
  let closed = false

  const inTransaction = async <T>(mode: TransactionMode, work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect()
    let broken: unknown
    try {
      await c.query(beginSql(mode))
      const out = await work(c)
      await c.query('COMMIT')
      return out
    } catch (err) {
      broken = await c.query('ROLLBACK').then(
        () => undefined,
        (e: unknown) => e,
      )
      throw err
    } finally {
      c.release(broken instanceof Error ? broken : undefined)
    }
  }

  const client = {
    protocol: 'postgres',
    get closed() {
      return closed
    },
    async execute(s: InStatement | string, args?: InArgs) {
      return run(pool, s, args)
    },
    /**
     * The whole batch, BEGIN and the write lock to COMMIT, goes to the server as one
     * multi-statement query (values inlined as literals): one round trip, and the write lock is
     * held only while the server runs the statements, never across a network wait.
     */
    async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = 'deferred') {
      if (stmts.length === 0) return []
      const texts = stmts.map(statementText)
      const c = await pool.connect()
      let broken: Error | undefined
      try {
        const res = (await c.query([beginSql(mode), ...texts, 'COMMIT'].join(';\n'))) as unknown as pg.QueryResult[]
        const skip = mode === 'read' ? 1 : 2
        return res.slice(skip, skip + texts.length).map(toResultSet)
      } catch (err) {
        // A failed statement leaves the transaction open and aborted: end it before the connection goes back.
        await c.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))))
        throw err
      } finally {
        c.release(broken)
      }
    },
    async migrate(stmts: InStatement[]) {
      return inTransaction('write', async (c) => {
        const out: ResultSet[] = []
        for (const s of stmts) out.push(await run(c, s))
        return out
      })
    },
    async transaction(mode: TransactionMode = 'write') {
      const c = await pool.connect()
      try {
        await c.query(beginSql(mode))
      } catch (err) {
        c.release(err instanceof Error ? err : undefined)
        throw err
      }
      let done = false
      const finish = async (sql: string) => {
        if (done) return
        done = true
        try {
          await c.query(sql)
          c.release()
        } catch (err) {
          // A connection whose COMMIT or ROLLBACK failed is not given back to the pool.
          c.release(err instanceof Error ? err : new Error(String(err)))
          throw err
        }
      }
      const tx: Transaction = {
        get closed() {
          return done
        },
        async execute(s: InStatement) {
          if (done) throw new Error('the transaction is closed')
          return run(c, s)
        },
        async batch(stmts: InStatement[]) {
          if (done) throw new Error('the transaction is closed')
          const out: ResultSet[] = []
          for (const s of stmts) out.push(await run(c, s))
          return out
        },
        async executeMultiple(sql: string) {
          if (done) throw new Error('the transaction is closed')
          await c.query(sql)
        },
        commit: () => finish('COMMIT'),
        rollback: () => finish('ROLLBACK'),
        close() {
          void finish('ROLLBACK').catch(() => undefined)
        },
      }
      return tx
    },
    async executeMultiple(sql: string) {
      await pool.query(sql)
    },
    async sync() {
      return undefined
    },
    close() {
      if (closed) return
      closed = true
      void pool.end().catch(() => undefined)
    },
    reconnect() {
      throw new Error('a PostgreSQL client reconnects by itself')
    },
  }
  return client as unknown as Client
}

/** Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url)
}
