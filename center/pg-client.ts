import type { Client, InArgs, InStatement, InValue, ResultSet, Transaction, TransactionMode } from '@libsql/client'
import pg from 'pg'
import { BatchGuardError, guardOf } from './batch-guard'
import { toRow } from './client-row'

/**
 * The advisory lock every `write` transaction or batch of the center takes on PostgreSQL (an
 * arbitrary constant, "CMGR"). SQLite gives the center one writer at a time (BEGIN IMMEDIATE),
 * and its read-check-write sequences (lockout counters, CRL numbers, …) are written for that:
 * with this lock, a `write` transaction on PostgreSQL has the same guarantee across every node
 * sharing the database. Plain statements outside a transaction (reads, single conditional
 * updates, inserts on a key) and `deferred` batches, whose statements keep their rules by keys,
 * conditional updates and guards (center/batch-guard.ts), take no lock and run concurrently:
 * the issuance path is built from those, so nodes do not queue behind one another's commits.
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

/** `sql` with each `?` outside quoted text replaced by `each(n)` (n counts from 0). */
function replacePlaceholders(sql: string, each: (n: number) => string): string {
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
      out += each(n++)
    } else out += ch
  }
  return out
}

/** `?` placeholders (the center's SQL, as SQLite takes it) to `$1, $2, …`, leaving quoted text alone. */
export function toPgPlaceholders(sql: string): string {
  return replacePlaceholders(sql, (n) => `$${n + 1}`)
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
  return toResultSet(await on.query({ name, text: toPgPlaceholders(sql), values: (a ?? []).map(toPg), rowMode: 'array' }))
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
  let used = 0
  const out = replacePlaceholders(sql, (n) => {
    if (n >= args.length) throw new RangeError('fewer arguments than placeholders')
    used = n + 1
    return literal(args[n]!)
  })
  if (used !== args.length) throw new RangeError('more arguments than placeholders')
  return out
}

/** The prefix of the error a failed guard raises; the guard's name follows it. */
const GUARD_MARK = 'certmgr-guard:'

/** A batch statement's SQL, arguments and guard, checked. */
function statementParts(s: InStatement | [string, InArgs?]): { sql: string; args: InValue[]; guard: string | undefined } {
  const [sql, args] = Array.isArray(s) ? s : typeof s === 'string' ? [s, undefined] : [s.sql, s.args]
  if (args !== undefined && !Array.isArray(args)) throw new TypeError('named arguments are not supported; use ? placeholders')
  const guard = guardOf(s)
  if (guard !== undefined && /\bRETURNING\b/i.test(sql)) throw new TypeError('a guarded statement has no RETURNING clause of its own')
  return { sql, args: args ?? [], guard }
}

/**
 * The statement as PostgreSQL runs it: a guarded one as a data-modifying CTE; when it changed
 * no row, casting the marked text to a number fails, which ends the batch's transaction
 * (nothing of it commits) with an error that names the guard. The count makes the text depend
 * on the rows, so the planner cannot evaluate the cast ahead of time.
 */
function guardedText(text: string, guard: string | undefined): string {
  if (guard === undefined) return text
  return `WITH certmgr_guarded AS (${text} RETURNING 1) SELECT CASE WHEN count(*) > 0 THEN count(*) ELSE CAST('${GUARD_MARK}${guard}/' || count(*) AS BIGINT) END AS changed FROM certmgr_guarded`
}

/**
 * Server-side prepared statements for batches. A batch still goes as one multi-statement query
 * (one round trip), but each statement in it is `EXECUTE name(literals…)` of a statement the
 * connection prepared once: PostgreSQL then parses, analyses and plans each statement text once
 * per connection instead of on every batch, which was about half of its CPU per issuance.
 * Parameter types are inferred by PostgreSQL from the statement, as for `execute`'s named
 * statements; a statement it cannot prepare (DDL, a type it cannot infer) keeps the inlined
 * form. Their names differ from the driver's own (certmgr_N), which share the namespace.
 */
interface PreparedBatchStatement {
  key: string
  name: string
  text: string
  /** How many `?` the statement has: a call with another number of arguments takes the inlined path, which refuses it. */
  params: number
}
const batchStatements = new Map<string, PreparedBatchStatement | null>()
/** The batch statements each connection has prepared (a connection's prepared statements live as long as it does). */
const preparedOn = new WeakMap<pg.PoolClient, Set<string>>()

/** A fractional number is inlined as a literal: a parameter inferred as an integer type would round it. */
const preparable = (args: InValue[]): boolean => args.every((a) => typeof a !== 'number' || Number.isInteger(a))

/** The prepared form of a batch statement; null when PostgreSQL could not prepare it. */
function batchStatementFor(sql: string, guard: string | undefined): PreparedBatchStatement | null {
  const key = guard === undefined ? sql : `${guard}\n${sql}`
  let st = batchStatements.get(key)
  if (st === undefined) {
    let params = 0
    const text = guardedText(
      replacePlaceholders(sql, (n) => `$${(params = n + 1)}`),
      guard,
    )
    st = { key, name: `certmgr_b${batchStatements.size}`, text, params }
    batchStatements.set(key, st)
  }
  return st
}

/** PREPAREs `st` on this connection; undefined when PostgreSQL cannot prepare it. */
async function prepareOn(c: pg.PoolClient, done: Set<string>, st: PreparedBatchStatement): Promise<PreparedBatchStatement | undefined> {
  try {
    await c.query(`PREPARE ${st.name} AS ${st.text}`)
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '')
    if (code === '42P05') {
      // Already prepared on this connection.
    } else if (code.startsWith('42')) {
      // Not a statement PostgreSQL can prepare with inferred types: it stays inlined, on every connection.
      batchStatements.set(st.key, null)
      return undefined
    } else throw err
  }
  done.add(st.name)
  return st
}

/** `EXECUTE name(literals…)`: the arguments are inlined exactly as in the unprepared form. */
function executeText(st: PreparedBatchStatement, args: InValue[]): string {
  return args.length === 0 ? `EXECUTE ${st.name}` : `EXECUTE ${st.name}(${args.map(literal).join(', ')})`
}

/** The batch's statements as text, each EXECUTE of a prepared statement where it can be. */
async function batchTexts(c: pg.PoolClient, stmts: ReturnType<typeof statementParts>[]): Promise<string[]> {
  let done = preparedOn.get(c)
  if (!done) preparedOn.set(c, (done = new Set()))
  const prepared = done
  const chosen = stmts.map(({ sql, args, guard }) => (preparable(args) ? batchStatementFor(sql, guard) : null))
  const missing = [...new Set(chosen.filter((st): st is PreparedBatchStatement => st !== null && !prepared.has(st.name)))]
  if (missing.length > 1) {
    // A new connection prepares all of a batch's statements in one round trip; when one of them
    // cannot be prepared, each is tried alone below.
    try {
      await c.query(missing.map((st) => `PREPARE ${st.name} AS ${st.text}`).join(';\n'))
      for (const st of missing) prepared.add(st.name)
    } catch (err) {
      if (!String((err as { code?: unknown }).code ?? '').startsWith('42')) throw err
    }
  }
  const out: string[] = []
  for (const [i, { sql, args, guard }] of stmts.entries()) {
    let st = chosen[i] ?? undefined
    if (st && !prepared.has(st.name)) st = await prepareOn(c, prepared, st)
    out.push(st && st.params === args.length ? executeText(st, args) : guardedText(inlineArgs(sql, args), guard))
  }
  return out
}

/** The guard named by a batch's error, when a guarded statement changed no row. */
function failedGuard(err: unknown): string | undefined {
  if ((err as { code?: unknown }).code !== '22P02') return undefined
  const m = new RegExp(`${GUARD_MARK}([a-z0-9-]+)/`).exec(err instanceof Error ? err.message : '')
  return m?.[1]
}

/**
 * PostgreSQL's refusal of a prepared statement whose result columns changed since it was
 * prepared: during a rolling upgrade another node's migration altered a table. The statement
 * stays refused on that connection for as long as it lives, so such a connection is closed
 * instead of going back to the pool, and the statement is prepared afresh on another.
 */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  return e.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change result type')
}

/** The error to release a connection with after `err`: a stale plan closes it; any other error leaves it usable. */
const brokenBy = (err: unknown): Error | undefined => (isStalePlan(err) ? (err as Error) : undefined)

/** A result as @libsql/client gives it, from rows as arrays (`rowMode: 'array'`) or as objects (a batch's results). */
function toResultSet(res: pg.QueryResult | pg.QueryArrayResult): ResultSet {
  const columns = (res.fields ?? []).map((f) => f.name)
  const rows = ((res.rows ?? []) as (unknown[] | Record<string, unknown>)[]).map((r) => toRow(Array.isArray(r) ? r : columns.map((c) => r[c]), columns))
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
 * BEGIN, and for a `write` transaction the center's write lock, in one round trip. A `deferred`
 * one is a plain transaction: its statements keep their rules by row locks and constraints (see
 * center/db.ts), so batches of several nodes commit side by side and PostgreSQL can flush their
 * commits together.
 */
function beginSql(mode: TransactionMode): string {
  if (mode === 'read') return 'BEGIN READ ONLY'
  if (mode === 'deferred') return 'BEGIN'
  return `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`
}

/** How many results beginSql(mode) gives before the batch's own. */
const beginResults = (mode: TransactionMode): number => (mode === 'write' ? 2 : 1)

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
        () => brokenBy(err),
        (e: unknown) => e,
      )
      throw err
    } finally {
      c.release(broken instanceof Error ? broken : undefined)
    }
  }

  /**
   * `work` again, on another connection, when it met a statement prepared before a migration
   * changed its table (isStalePlan): it ran outside a transaction or in one that was rolled back,
   * so nothing of it was kept. Each try closes one such connection; the pool has at most `max`.
   */
  const retryStalePlan = async <T>(work: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work()
      } catch (err) {
        if (!isStalePlan(err) || attempt >= pool.options.max) throw err
      }
    }
  }

  const client = {
    protocol: 'postgres',
    get closed() {
      return closed
    },
    async execute(s: InStatement | string, args?: InArgs) {
      return retryStalePlan(async () => {
        const c = await pool.connect()
        try {
          const out = await run(c, s, args)
          c.release()
          return out
        } catch (err) {
          c.release(brokenBy(err))
          throw err
        }
      })
    },
    /**
     * The whole batch, BEGIN (and for `write` the lock) to COMMIT, goes to the server as one
     * multi-statement query (values inlined as literals): one round trip, and a lock is held
     * only while the server runs the statements, never across a network wait.
     */
    async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = 'deferred') {
      if (stmts.length === 0) return []
      const parts = stmts.map(statementParts)
      return retryStalePlan(async () => {
        const c = await pool.connect()
        let broken: Error | undefined
        try {
          const texts = await batchTexts(c, parts)
          const res = (await c.query([beginSql(mode), ...texts, 'COMMIT'].join(';\n'))) as unknown as pg.QueryResult[]
          const skip = beginResults(mode)
          return res.slice(skip, skip + texts.length).map((r, i) => {
            const rs = toResultSet(r)
            // A guarded statement answers with its count of changed rows.
            return parts[i]!.guard === undefined ? rs : { ...rs, rows: [], columns: [], rowsAffected: Number(rs.rows[0]?.[0] ?? 0) }
          })
        } catch (err) {
          // A failed statement leaves the transaction open and aborted: end it before the connection goes back.
          await c.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))))
          broken ??= brokenBy(err)
          const guard = failedGuard(err)
          throw guard === undefined ? err : new BatchGuardError(guard)
        } finally {
          c.release(broken)
        }
      })
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
      let stale: Error | undefined
      const finish = async (sql: string) => {
        if (done) return
        done = true
        try {
          await c.query(sql)
          c.release(stale)
        } catch (err) {
          // A connection whose COMMIT or ROLLBACK failed is not given back to the pool.
          c.release(err instanceof Error ? err : new Error(String(err)))
          throw err
        }
      }
      // The transaction is aborted either way; a stale statement also closes the connection at its end.
      const markStale = (err: unknown): never => {
        stale ??= brokenBy(err)
        throw err
      }
      const tx: Transaction = {
        get closed() {
          return done
        },
        async execute(s: InStatement) {
          if (done) throw new Error('the transaction is closed')
          return run(c, s).catch(markStale)
        },
        async batch(stmts: InStatement[]) {
          if (done) throw new Error('the transaction is closed')
          const out: ResultSet[] = []
          for (const s of stmts) out.push(await run(c, s).catch(markStale))
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
