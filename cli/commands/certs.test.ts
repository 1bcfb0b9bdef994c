import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeMixedRoot, PINK, PINK_PASSWORD, tempDir } from '../../tests/helpers/fixtures'

const repo = resolve(import.meta.dirname, '../..')
function certmgr(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(resolve(repo, 'node_modules/.bin/tsx'), [resolve(repo, 'cli/certmgr.ts'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('certmgr list / show', () => {
  const { root, good, corrupt } = makeMixedRoot()
  it('list --json gives every documented field, damaged folders included', () => {
    const r = certmgr(['list', '--root', root, '--json'])
    expect(r.code).toBe(0)
    const list = JSON.parse(r.out) as Record<string, unknown>[]
    expect(list).toHaveLength(3)
    const fixture = list.find((c) => c.path === good)!
    for (const k of ['path', 'owner', 'subject', 'issuer', 'caFolder', 'serial', 'notBefore', 'notAfter', 'daysLeft', 'state', 'kind', 'policyOid', 'location']) expect(fixture).toHaveProperty(k)
    expect(fixture).toMatchObject({ owner: 'HKD', caFolder: 'yessign', serial: '459c75', notAfter: '2020-03-25T14:59:59.000Z', state: 'expired', kind: 'limited', policyOid: '1.2.410.200005.1.1.4', location: 'pc' })
    expect(list.find((c) => c.path === corrupt)).toMatchObject({ state: 'damaged', damaged: 'signCert.der is corrupt' })
  })
  it('list reads CERTMGR_NPKI_ROOTS when no --root is given, and says where it looked when empty', () => {
    const empty = tempDir()
    const r = certmgr(['list'], { CERTMGR_NPKI_ROOTS: empty })
    expect(r.code).toBe(0)
    expect(r.out).toContain('No certificates found')
    expect(r.out).toContain(empty)
  })
  it('show --json adds key facts and the fingerprint', () => {
    const r = certmgr(['show', good, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.out)
    expect(j).toMatchObject({ keyAlgorithm: 'RSA', keySize: 2048, hasVid: true })
    expect(j.sha256).toMatch(/^[0-9a-f]{64}$/)
  })
  it('show reads a .pfx with its password, and a wrong password exits 1', () => {
    const pw = join(tempDir(), 'pw.txt')
    writeFileSync(pw, PINK_PASSWORD)
    const r = certmgr(['show', join(PINK, 'test.pfx'), '--json', '--password-file', pw])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toMatchObject({ owner: 'HKD', serial: '459c75', state: 'expired', kind: 'limited', location: 'file' })
    const wrong = join(tempDir(), 'wrong.txt')
    writeFileSync(wrong, 'not-the-password')
    const w = certmgr(['show', join(PINK, 'test.pfx'), '--password-file', wrong])
    expect(w.code).toBe(1)
    expect(w.err.trim().split('\n')).toHaveLength(1)
  })
  it('bad input is one line on stderr with exit 2, never a stack trace', () => {
    for (const args of [['show', '/no/such/folder'], ['show'], ['list', '--bogus'], ['frobnicate']]) {
      const r = certmgr(args)
      expect(r.code).toBe(2)
      expect(r.err.trim().split('\n')).toHaveLength(1)
      expect(r.err).not.toMatch(/\bat .*\.ts:\d+/)
    }
  })
  it('help lists the commands', () => {
    const r = certmgr(['help'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('list [--root DIR]... [--json]')
  })
})
