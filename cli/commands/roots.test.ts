import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { addPinkCert, PINK, PINK_PASSWORD, tempDir } from '../../tests/helpers/fixtures'

// The root rules as the CLI meets them. Each run is a child process with a time limit, so a
// read that blocks (a FIFO opened for reading waits for a writer forever) fails the test
// instead of hanging it.
const repo = resolve(import.meta.dirname, '../..')
const LIMIT_MS = 45_000
function certmgr(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(resolve(repo, 'node_modules/.bin/tsx'), [resolve(repo, 'cli/certmgr.ts'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: LIMIT_MS, killSignal: 'SIGKILL' })
  return { code: r.status, timedOut: r.signal === 'SIGKILL', out: r.stdout, err: r.stderr }
}

const w = tempDir('certmgr-cli-roots-')
afterAll(() => rmSync(w, { recursive: true, force: true }))

/** A certificate folder whose `name` is a FIFO and whose other file is the fixture's. */
function folderWithFifo(root: string, name: 'signCert.der' | 'signPri.key'): string {
  const dir = join(root, 'yessign', 'USER', `cn=fifo-${name}`)
  mkdirSync(dir, { recursive: true })
  const other = name === 'signCert.der' ? 'signPri.key' : 'signCert.der'
  copyFileSync(join(PINK, other), join(dir, other))
  execFileSync('mkfifo', [join(dir, name)])
  return dir
}

const posix = process.platform !== 'win32'

describe.runIf(posix)('certmgr and the root policy', () => {
  it('FIFO as signCert.der: list returns promptly with the folder marked damaged', () => {
    const root = join(w, 'fifo-cert', 'NPKI')
    const good = addPinkCert(root)
    const fifo = folderWithFifo(root, 'signCert.der')
    const r = certmgr(['list', '--root', root, '--json'])
    expect(r.timedOut).toBe(false)
    expect(r.code).toBe(0)
    const list = JSON.parse(r.out) as { path: string; state: string; damaged: string | null }[]
    expect(list.find((c) => c.path === good)).toMatchObject({ state: 'expired', damaged: null })
    expect(list.find((c) => c.path === fifo)).toMatchObject({ state: 'damaged', damaged: 'signCert.der is not a regular file' })
    const show = certmgr(['show', fifo])
    expect(show.timedOut).toBe(false)
    expect(show.code).toBe(2)
    expect(show.err).toContain('signCert.der is not a regular file')
  })

  it('FIFO as signPri.key: list marks the folder damaged, and a password change fails at once instead of waiting', () => {
    const root = join(w, 'fifo-key', 'NPKI')
    const fifo = folderWithFifo(root, 'signPri.key')
    const r = certmgr(['list', '--root', root, '--json'])
    expect(r.timedOut).toBe(false)
    expect((JSON.parse(r.out) as { path: string; damaged: string | null }[]).find((c) => c.path === fifo)).toMatchObject({ damaged: 'signPri.key is not a regular file' })
    writeFileSync(join(w, 'old.txt'), PINK_PASSWORD)
    writeFileSync(join(w, 'new.txt'), 'Zq9!x7k2m#Lp')
    const p = certmgr(['passwd', fifo, '--password-file', join(w, 'old.txt'), '--new-password-file', join(w, 'new.txt')])
    expect(p.timedOut).toBe(false)
    expect(p.code).toBe(2)
    expect(p.err).toMatch(/not a regular file/)
  })

  it('symlinked CA folder on a drive: list --root on the drive does not show the PC’s certificates', () => {
    const pc = join(w, 'link', 'home', 'NPKI')
    addPinkCert(pc)
    const stick = join(w, 'link', 'usb')
    mkdirSync(join(stick, 'NPKI'), { recursive: true })
    symlinkSync(join(pc, 'yessign'), join(stick, 'NPKI', 'yessign'))
    for (const dir of [stick, join(stick, 'NPKI')]) {
      const r = certmgr(['list', '--root', dir, '--json'])
      expect(r.code).toBe(0)
      expect(JSON.parse(r.out)).toEqual([])
    }
    expect(JSON.parse(certmgr(['list', '--root', pc, '--json']).out)).toHaveLength(1)
  })

  it('list --root DIR where DIR holds an NPKI folder (a drive’s root, a home folder) looks inside it', () => {
    const home = join(w, 'home-dir')
    const cert = addPinkCert(join(home, 'NPKI'))
    const r = certmgr(['list', '--root', home, '--json'])
    expect(r.code).toBe(0)
    expect((JSON.parse(r.out) as { path: string }[]).map((c) => c.path)).toEqual([cert])
  })
})
