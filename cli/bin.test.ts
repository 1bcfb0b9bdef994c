import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import { buildCliBin } from './build-bin'

const REPO = resolve(import.meta.dirname, '..')
const FIXTURE = resolve(REPO, '../shared/fixtures/pypinksign')

/** An NPKI root holding the fixture under `n` folders. */
function npkiWith(dir: string, n: number): string {
  const root = join(dir, 'NPKI')
  for (let i = 0; i < n; i++) {
    const f = join(root, 'yessign', 'USER', `cn=HKD${i}`)
    mkdirSync(f, { recursive: true })
    for (const file of ['signCert.der', 'signPri.key']) copyFileSync(join(FIXTURE, file), join(f, file))
  }
  return root
}

describe('the certmgr command (package.json bin)', () => {
  let tmp: string
  let bin: string
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'certmgr-bin-'))
    bin = await buildCliBin()
  }, 60_000)
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  it('is the bundled file package.json names, run by plain node: --version, list, one-line errors', () => {
    expect(resolve(REPO, pkg.bin.certmgr)).toBe(bin)
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toBe(`certmgr ${pkg.version}\n`)
    const root = npkiWith(tmp, 3)
    const list = JSON.parse(execFileSync(process.execPath, [bin, 'list', '--root', root, '--json'], { encoding: 'utf8' })) as { owner: string }[]
    expect(list.map((c) => c.owner)).toEqual(['HKD', 'HKD', 'HKD'])
    const bad = spawnSync(process.execPath, [bin, 'show', join(tmp, 'nothing-here')], { encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('reads a PFX with its key derivation in the bundled worker thread', () => {
    const root = join(tmp, 'pfx-import', 'NPKI')
    const out = execFileSync(process.execPath, [bin, 'import-pfx', join(FIXTURE, 'test.pfx'), '--root', root, '--password-file', join(FIXTURE, 'password.txt')], { encoding: 'utf8' })
    expect(out).toMatch(/^imported: /)
  })

  it('installs with npm install -g from a checkout and runs as `certmgr` from any folder', () => {
    const prefix = join(tmp, 'global')
    execFileSync('npm', ['install', '-g', '--prefix', prefix, REPO, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp, encoding: 'utf8' })
    const cmd = process.platform === 'win32' ? join(prefix, 'certmgr.cmd') : join(prefix, 'bin', 'certmgr')
    expect(execFileSync(cmd, ['--version'], { cwd: tmp, encoding: 'utf8' })).toBe(`certmgr ${pkg.version}\n`)
    const help = execFileSync(cmd, ['help'], { cwd: tmp, encoding: 'utf8' })
    for (const name of ['list [--root DIR]', 'center serve', 'transfer send', 'token keygen']) expect(help).toContain(name)
  }, 60_000)

  it('runs through npx from the checkout', () => {
    expect(execFileSync('npx', ['--no-install', 'certmgr', '--version'], { cwd: REPO, encoding: 'utf8' })).toBe(`certmgr ${pkg.version}\n`)
  }, 60_000)
})
