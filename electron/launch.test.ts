import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const LAUNCH = resolve(import.meta.dirname, 'launch.mjs')

describe('npm start launcher', () => {
  it('says in one line that the Electron binary is missing and points to npm run start:web, without a stack trace', () => {
    const r = spawnSync(process.execPath, [LAUNCH], { encoding: 'utf8', env: { ...process.env, CERTMGR_ELECTRON_BINARY: resolve(import.meta.dirname, 'no-such-electron') } })
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('Electron binary is not installed')
    expect(lines[0]).toContain('npm run start:web')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
