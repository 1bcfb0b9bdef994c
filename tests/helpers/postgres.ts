import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'

/**
 * PostgreSQL for the center's tests: the server named by CERTMGR_TEST_PG (`.ci/run` starts one
 * with tests/helpers/pg-server.sh), or, on a developer's machine without it, a private server
 * this process starts with the same script and stops when it exits. In CI a missing server is
 * an error, never a skip: the PostgreSQL variants of the tests must run there.
 */
export const TEST_PG_ENV = 'CERTMGR_TEST_PG'

const SCRIPT = resolve(import.meta.dirname, 'pg-server.sh')

let own: { url: string; dir: string } | undefined

export function testPgServer(): string {
  const url = process.env[TEST_PG_ENV]
  if (url) return url
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${TEST_PG_ENV} is not set: CI must start PostgreSQL (tests/helpers/pg-server.sh) for the center's tests`)
  }
  if (!own) {
    const dir = mkdtempSync(join(tmpdir(), 'certmgr-pg-'))
    // With this process's pid, the script also stops the server once this process is gone:
    // Vitest ends its workers with a signal, and then the exit handler below never runs.
    const started = execFileSync(SCRIPT, ['start', dir, String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
    own = { url: started, dir }
    process.once('exit', () => {
      try {
        execFileSync(SCRIPT, ['stop', dir], { stdio: 'ignore' })
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true })
    })
  }
  return own.url
}

/** A database of its own on the test server (random name, so parallel runs never meet), and its removal. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = testPgServer()
  const name = `certmgr_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(server)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: server })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}

/** The center's two stores; tests of the center run once per store (`describe.each(CENTER_STORES)`). */
export const CENTER_STORES = ['sqlite', 'postgres'] as const
export type CenterStoreName = (typeof CENTER_STORES)[number]

export interface TestStore {
  name: CenterStoreName
  /** For `openCenterDb(dir, { dbUrl })`, `startCenter({ dbUrl })` and `--db`: undefined for SQLite. */
  dbUrl: string | undefined
  /** Removes the PostgreSQL database (nothing for SQLite, whose file goes with the data dir). */
  drop(): Promise<void>
}

export async function testStore(name: CenterStoreName): Promise<TestStore> {
  if (name === 'sqlite') return { name, dbUrl: undefined, drop: async () => undefined }
  const db = await createTestDatabase()
  return { name, dbUrl: db.url, drop: db.drop }
}

/**
 * The store this run of a center test file uses. The `node-pg` Vitest project runs the center's
 * unit, interop and reliability files a second time with CERTMGR_TEST_STORE=postgres, so every
 * one of them passes on both stores without a copy of the file.
 */
export function storeUnderTest(): CenterStoreName {
  return process.env.CERTMGR_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'
}

/** A fresh store of the kind under test: for PostgreSQL a new database of its own. */
export function freshStore(): Promise<TestStore> {
  return testStore(storeUnderTest())
}
