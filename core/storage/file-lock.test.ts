import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { withFileLockSync } from './file-lock'

describe('withFileLockSync', () => {
  it('holds the lock file while the work runs and removes it after, also when the work throws', () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'certmgr-lock-')), 'counts.json.lock')
    expect(withFileLockSync(lock, () => existsSync(lock))).toBe(true)
    expect(existsSync(lock)).toBe(false)
    expect(() =>
      withFileLockSync(lock, () => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(existsSync(lock)).toBe(false)
  })

  it('takes over a lock left behind by a process that died holding it', () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'certmgr-lock-')), 'counts.json.lock')
    writeFileSync(lock, '999999')
    const old = new Date(Date.now() - 60_000)
    utimesSync(lock, old, old)
    expect(withFileLockSync(lock, () => 'ran')).toBe('ran')
    expect(existsSync(lock)).toBe(false)
  })
})
