import { createClient, type Client } from '@libsql/client'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openLocalClient } from './sqlite-client'

const dir = mkdtempSync(join(tmpdir(), 'sqlite-client-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SETUP = ['CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL, b BLOB, flag INTEGER)', "INSERT INTO t VALUES ('a', 1, x'00ff10', 1)"]

/** Two connections to one WAL database, as two processes of the center hold; `b` waits up to `bWaitMs` for a lock. */
async function twoConnections(name: string, bWaitMs: number): Promise<[Client, Client]> {
  const path = join(dir, name)
  const a = openLocalClient(path, { busyTimeoutMs: 2000 })
  await a.execute('PRAGMA journal_mode=WAL')
  for (const sql of SETUP) await a.execute(sql)
  return [a, openLocalClient(path, { busyTimeoutMs: bWaitMs })]
}

async function both(name: string): Promise<[Client, Client]> {
  const ours = openLocalClient(join(dir, `${name}-ours.db`), { busyTimeoutMs: 1000 })
  const theirs = createClient({ url: `file:${join(dir, `${name}-theirs.db`)}`, intMode: 'number' })
  for (const c of [ours, theirs]) for (const sql of SETUP) await c.execute(sql)
  return [ours, theirs]
}

/** Everything the center reads from a result, in a comparable form. */
const shape = (rs: Awaited<ReturnType<Client['execute']>>) => ({
  columns: rs.columns,
  rowsAffected: rs.rowsAffected,
  rows: rs.rows.map((r) => ({ byName: { ...r }, byIndex: Array.from({ length: r.length }, (_, i) => r[i]), length: r.length })),
})

describe('openLocalClient (the center database client)', () => {
  it('gives the same results as @libsql/client for reads, writes, RETURNING, blobs and booleans', async () => {
    const [ours, theirs] = await both('same')
    const statements = [
      { sql: 'SELECT id, n, b FROM t WHERE id = ?', args: ['a'] },
      { sql: 'INSERT INTO t (id, n, b, flag) VALUES (?, ?, ?, ?)', args: ['b', 2, new Uint8Array([1, 2, 3]), true] },
      { sql: 'UPDATE t SET n = n + 1 WHERE id = ? RETURNING n, flag', args: ['b'] },
      { sql: 'UPDATE t SET n = n + 1 WHERE id = ?', args: ['nobody'] },
      { sql: 'SELECT count(*) AS c, sum(n) FROM t', args: [] },
      { sql: 'SELECT b FROM t ORDER BY id', args: [] },
    ]
    for (const s of statements) expect(shape(await ours.execute(s))).toEqual(shape(await theirs.execute(s)))
    const blob = (await ours.execute({ sql: 'SELECT b FROM t WHERE id = ?', args: ['b'] })).rows[0]!.b
    expect(blob).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(blob as ArrayBuffer)]).toEqual([1, 2, 3])
    ours.close()
    theirs.close()
  })

  it('commits a batch whole or not at all', async () => {
    const ours = openLocalClient(join(dir, 'batch.db'), { busyTimeoutMs: 1000 })
    for (const sql of SETUP) await ours.execute(sql)
    const rs = await ours.batch([{ sql: 'UPDATE t SET n = 5 WHERE id = ?', args: ['a'] }, { sql: "INSERT INTO t (id, n) VALUES ('c', 3)", args: [] }], 'write')
    expect(rs.map((r) => r.rowsAffected)).toEqual([1, 1])
    // The second statement breaks the primary key: the first one's change must not stay.
    await expect(ours.batch([{ sql: 'UPDATE t SET n = 99 WHERE id = ?', args: ['a'] }, { sql: "INSERT INTO t (id, n) VALUES ('c', 4)", args: [] }], 'write')).rejects.toThrow(/UNIQUE/)
    expect((await ours.execute("SELECT n FROM t WHERE id = 'a'")).rows[0]!.n).toBe(5)
    // The connection is usable again (not stuck inside the failed transaction).
    await ours.execute("INSERT INTO t (id, n) VALUES ('d', 1)")
    expect((await ours.execute('SELECT count(*) AS c FROM t')).rows[0]!.c).toBe(3)
    ours.close()
  })

  it('runs interactive transactions: commit keeps, rollback and close discard', async () => {
    const ours = openLocalClient(join(dir, 'tx.db'), { busyTimeoutMs: 1000 })
    for (const sql of SETUP) await ours.execute(sql)
    let tx = await ours.transaction('write')
    await tx.execute({ sql: 'UPDATE t SET n = 7', args: [] })
    await tx.commit()
    expect(tx.closed).toBe(true)
    tx = await ours.transaction('write')
    await tx.execute({ sql: 'UPDATE t SET n = 8', args: [] })
    await tx.rollback()
    tx = await ours.transaction('write')
    await tx.execute({ sql: 'UPDATE t SET n = 9', args: [] })
    tx.close()
    expect((await ours.execute('SELECT n FROM t')).rows[0]!.n).toBe(7)
    await expect(tx.execute({ sql: 'SELECT 1', args: [] })).rejects.toThrow(/closed/)
    ours.close()
    await expect(ours.execute('SELECT 1')).rejects.toThrow(/closed/)
  })

  it('waits for another connection holding the write lock instead of failing at once', async () => {
    const [a, b] = await twoConnections('busy.db', 50)
    const tx = await a.transaction('write')
    await tx.execute({ sql: 'UPDATE t SET n = 2', args: [] })
    // b's busy timeout runs out while a holds the lock: SQLITE_BUSY, not a hang.
    await expect(b.execute({ sql: 'UPDATE t SET n = 3', args: [] })).rejects.toThrow(/locked|busy/i)
    await tx.commit()
    await b.execute({ sql: 'UPDATE t SET n = 3', args: [] })
    expect((await a.execute('SELECT n FROM t')).rows[0]!.n).toBe(3)
    a.close()
    b.close()
  })

  it('waits for the lock without blocking the process, for statements and batches alike', async () => {
    const [a, b] = await twoConnections('busy-async.db', 2000)
    for (const write of [
      () => b.execute({ sql: 'UPDATE t SET n = n + 10', args: [] }),
      () => b.batch([{ sql: 'UPDATE t SET n = n + 100', args: [] }, { sql: 'UPDATE t SET flag = ?', args: [7] }], 'write'),
    ]) {
      const tx = await a.transaction('write')
      await tx.execute({ sql: 'UPDATE t SET n = 1', args: [] })
      const pending = write()
      // The commit can only run if b's wait leaves this thread free: a thread-blocking wait
      // would hold it until b's timeout and then fail.
      let ticks = 0
      const timer = setInterval(() => ticks++, 2)
      await new Promise((r) => setTimeout(r, 30))
      await tx.commit()
      await pending
      clearInterval(timer)
      // b's write succeeding at all is the proof (a blocked thread could not commit a's
      // transaction before b's busy timeout). The timer shows the loop ran while b waited; on a
      // loaded machine a 2 ms interval may fire only once in 30 ms, so one tick is the bar.
      expect(ticks).toBeGreaterThan(0)
    }
    expect((await a.execute('SELECT n, flag FROM t')).rows[0]).toMatchObject({ n: 101, flag: 7 })
    a.close()
    b.close()
  })
})
