import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../tests/helpers/fixtures'
import { backupPgDb } from './pg-backup'

// A stand-in pg_dump first on the PATH records what it was given (its arguments, which any
// user of the machine can list while it runs, and PGPASSWORD) and fails like a refused login.
let dir = ''
let prevPath: string | undefined
beforeEach(() => {
  dir = tempDir('certmgr-pgdump-argv-')
  writeFileSync(join(dir, 'pg_dump'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(dir, 'argv')}"\nprintf '%s' "$PGPASSWORD" > "${join(dir, 'pgpassword')}"\necho 'pg_dump: error: connection refused' >&2\nexit 1\n`)
  chmodSync(join(dir, 'pg_dump'), 0o755)
  prevPath = process.env.PATH
  process.env.PATH = `${dir}${delimiter}${prevPath ?? ''}`
})
afterEach(() => {
  process.env.PATH = prevPath
})

describe("pg_dump's command line", () => {
  it('database password on the command line: a ?password= parameter goes to PGPASSWORD like a password before the host', async () => {
    for (const url of ['postgres://center@127.0.0.1:1/certmgr?password=s3cret-Pw&sslmode=disable', 'postgres://center:s3cret-Pw@127.0.0.1:1/certmgr?sslmode=disable']) {
      await expect(backupPgDb(url, join(dir, 'out.dump'))).rejects.toMatchObject({ code: 'IO', message: 'pg_dump failed: connection refused' })
      const argv = readFileSync(join(dir, 'argv'), 'utf8')
      expect(argv).toContain('--dbname=postgres://center@127.0.0.1:1/certmgr?sslmode=disable')
      expect(argv).not.toContain('s3cret')
      expect(readFileSync(join(dir, 'pgpassword'), 'utf8')).toBe('s3cret-Pw')
      expect(existsSync(join(dir, 'out.dump'))).toBe(false)
    }
  })
})
