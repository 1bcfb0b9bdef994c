import { join } from 'node:path'
import Database from 'libsql'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../tests/helpers/fixtures'
import { checkBackup, requireKnownSchema } from './backup'
import { caMigrations } from './ca/migrations'
import { raMigrations } from './ra/migrations'

const newest = (ms: { version: number }[]) => Math.max(...ms.map((m) => m.version))
const CA = newest(caMigrations)
const RA = newest(raMigrations)

/** A SQLite file holding only the migrations table, with these rows. */
function sqliteWith(rows: [string, number][]): string {
  const file = join(tempDir('certmgr-backup-schema-'), 'center.db')
  const db = new Database(file)
  db.exec('CREATE TABLE schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (module, version))')
  for (const [m, v] of rows) db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?)').run(m, v)
  db.close()
  return file
}

describe('the schema rule of a restore (one function for SQLite and PostgreSQL backups)', () => {
  it('takes a backup of this version or older, refuses a newer one and one without both modules', () => {
    expect(() => requireKnownSchema('f', new Map([['ca', CA], ['ra', RA]]), 'a dump')).not.toThrow()
    expect(() => requireKnownSchema('f', new Map([['ca', 1], ['ra', 1]]), 'a dump')).not.toThrow()
    expect(() => requireKnownSchema('f', new Map([['ca', CA + 1], ['ra', RA]]), 'a dump')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: `f comes from a newer CertMgr (schema ca ${CA + 1})` }))
    expect(() => requireKnownSchema('f', new Map([['ca', CA]]), 'a dump')).toThrow(expect.objectContaining({ code: 'DAMAGED', message: 'f is not a dump' }))
  })

  it('a SQLite backup from a newer CertMgr is refused before anything is restored', () => {
    const file = sqliteWith([['ca', CA], ['ra', RA + 1]])
    expect(() => checkBackup(file)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: `${file} comes from a newer CertMgr (schema ra ${RA + 1})` }))
    expect(() => checkBackup(sqliteWith([['ca', CA]]))).toThrow(expect.objectContaining({ code: 'DAMAGED' }))
    expect(checkBackup(sqliteWith([['ca', CA], ['ra', RA]])).bytes).toBeGreaterThan(0)
  })
})
