import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@libsql/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../shared/errors'
import { freshStore, storeUnderTest, type TestStore } from '../tests/helpers/postgres'
import { BatchGuardError, type GuardedStatement } from './batch-guard'
import { openCenterDb } from './db'
import { Ra } from './ra/ra'

// Batches that take no center-wide lock on PostgreSQL (mode 'deferred') keep their claims by
// guards, keys and conditional updates. Two database handles stand in for two nodes (or two
// worker processes on SQLite).
const guarded = (sql: string, args: GuardedStatement['args'], guard: string): GuardedStatement => ({ sql, args, guard })

describe(`guarded batches (${storeUnderTest()})`, () => {
  let dir: string
  let store: TestStore
  let a: Client
  let b: Client

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batch-guard-'))
    store = await freshStore()
    a = await openCenterDb(dir, { dbUrl: store.dbUrl })
    b = await openCenterDb(dir, { dbUrl: store.dbUrl })
  })
  afterAll(async () => {
    a.close()
    b.close()
    await store.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a guarded statement that changes no row undoes the whole batch and names its guard', async () => {
    const err = await a
      .batch(
        [
          { sql: "INSERT INTO ra_meta (key, value) VALUES ('guard-1', 'x')", args: [] },
          guarded("UPDATE ra_meta SET value = 'y' WHERE key = ?", ['no-such-key'], 'missing-row'),
          { sql: "INSERT INTO ra_meta (key, value) VALUES ('guard-2', 'x')", args: [] },
        ],
        'deferred',
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).toBeInstanceOf(BatchGuardError)
    expect((err as BatchGuardError).guard).toBe('missing-row')
    const left = await a.execute("SELECT key FROM ra_meta WHERE key LIKE 'guard-%'")
    expect(left.rows).toHaveLength(0)
    // The handle is usable afterwards, and a guard that holds reports its count of changed rows.
    const [ins, upd] = await a.batch(
      [
        { sql: "INSERT INTO ra_meta (key, value) VALUES ('guard-3', 'x')", args: [] },
        guarded("UPDATE ra_meta SET value = 'y' WHERE key = 'guard-3'", [], 'present-row'),
      ],
      'deferred',
    )
    expect(ins?.rowsAffected).toBe(1)
    expect(upd?.rowsAffected).toBe(1)
    expect((await b.execute("SELECT value FROM ra_meta WHERE key = 'guard-3'")).rows[0]?.value).toBe('y')
  })

  it('refuses a guard name that is not a plain word and a guarded statement with RETURNING of its own', async () => {
    await expect(a.batch([guarded("UPDATE ra_meta SET value = 'z' WHERE key = 'guard-3'", [], "x'; DROP TABLE ra_meta; --")], 'deferred')).rejects.toThrow(TypeError)
    if (store.name === 'postgres') {
      await expect(a.batch([guarded("UPDATE ra_meta SET value = 'z' WHERE key = 'guard-3' RETURNING key", [], 'g')], 'deferred')).rejects.toThrow(/RETURNING/)
    }
    expect((await a.execute("SELECT value FROM ra_meta WHERE key = 'guard-3'")).rows[0]?.value).toBe('y')
  })

  it('a reference raced by both nodes at once is consumed exactly once', async () => {
    const raA = new Ra(a, { keyDir: dir })
    const raB = new Ra(b, { keyDir: dir })
    const { customerId } = await raA.createCustomer({ name: '경합', idn: '9001011234567', phone: '01012341234' })
    for (let round = 0; round < 5; round++) {
      const codes = await raA.createEnrollmentCodes(customerId, 'limited', 'reissue')
      const wins = await Promise.all([raA, raB, raA, raB].map((r) => r.consumeEnrollment(codes.reference)))
      expect(wins.filter(Boolean)).toHaveLength(1)
      const audit = await a.execute({ sql: "SELECT outcome FROM audit WHERE action = 'enrollment.consume' AND detail = ? ORDER BY outcome", args: [JSON.stringify({ reference: codes.reference })] })
      expect(audit.rows.map((r) => r.outcome)).toEqual(['fail', 'fail', 'fail', 'ok'])
    }
  })

  it('charges from both nodes at once never overdraw the account, and the ledger follows each one', async () => {
    const raA = new Ra(a, { keyDir: dir })
    const raB = new Ra(b, { keyDir: dir })
    const { customerId } = await raA.createCustomer({ name: '잔액', idn: '9101011234567', phone: '01012345678', balanceKrw: 10_000 })
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? raB : raA).charge(customerId, 4_400, 'fee').then(
          () => 'ok',
          (e: unknown) => (e instanceof CertError ? String(e.params?.reason) : String(e)),
        ),
      ),
    )
    expect(results.filter((r) => r === 'ok')).toHaveLength(2)
    expect(results.filter((r) => r === 'balance')).toHaveLength(4)
    const accounts = await raA.accounts(customerId)
    expect(accounts[0]?.balanceKrw).toBe(1_200)
    const ledger = await a.execute({ sql: 'SELECT amount_krw, balance_after_krw FROM ra_ledger WHERE customer_id = ? AND amount_krw < 0 ORDER BY balance_after_krw DESC', args: [customerId] })
    expect(ledger.rows.map((r) => [r.amount_krw, r.balance_after_krw])).toEqual([
      [-4_400, 5_600],
      [-4_400, 1_200],
    ])
  })
})
