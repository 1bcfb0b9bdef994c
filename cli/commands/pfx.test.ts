import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCertificate } from '../../core/certs/parse'
import { readPfx } from '../../core/formats/pfx'
import { decryptSignPri } from '../../core/formats/signpri'
import { main } from '../certmgr'
import type { CliIO } from '../command'

// Runs certmgr the way a user does: a separate process, passwords in files, exit codes checked.
const REPO = resolve(import.meta.dirname, '../..')
const FIX = resolve(REPO, '../shared/fixtures/pypinksign')
const PASSWORD = readFileSync(join(FIX, 'password.txt'), 'utf8')
const CERT = new Uint8Array(readFileSync(join(FIX, 'signCert.der')))
const FACTS = parseCertificate(CERT)
const PKCS8 = decryptSignPri(new Uint8Array(readFileSync(join(FIX, 'signPri.key'))), PASSWORD).pkcs8
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const tmp = mkdtempSync(join(tmpdir(), 'cli-pfx-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function secret(name: string, value: string): string {
  const p = join(tmp, name)
  writeFileSync(p, value + '\n')
  return p
}
const PW = secret('pw.txt', PASSWORD)
const WRONG = secret('wrong.txt', 'not-the-password')
const PFX_PW = secret('pfx-pw.txt', 'Pfx#only-2468')
const WEAK = secret('weak.txt', 'abc')

let n = 0
function folderCopy(): string {
  const dir = join(tmp, `src${n++}`, FACTS.caFolder, 'USER', FACTS.npkiFolderName)
  mkdirSync(dir, { recursive: true })
  copyFileSync(join(FIX, 'signCert.der'), join(dir, 'signCert.der'))
  copyFileSync(join(FIX, 'signPri.key'), join(dir, 'signPri.key'))
  return dir
}

function certmgr(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done, fail) => {
    const p = spawn('npx', ['tsx', 'cli/certmgr.ts', ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (err += d.toString()))
    p.on('error', fail)
    p.on('close', (code) => done({ code: code ?? -1, out, err }))
    p.stdin.end(input ?? '')
  })
}

/** In-process run for the finer cases (spawning costs seconds of CPU per call on a busy CI box). */
async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const outs: string[] = []
  const errs: string[] = []
  const io: CliIO = { out: (t) => outs.push(t), err: (t) => errs.push(t), readSecret: async (p) => readFileSync(p, 'utf8').replace(/\r?\n$/, '') }
  const code = await main(argv, io)
  return { code, out: outs.join('\n'), err: errs.join('\n') }
}

function oneLine(err: string): void {
  expect(err.trimEnd().split('\n')).toHaveLength(1)
  expect(err).not.toMatch(/\bat .*\.ts:\d+/)
}

describe('certmgr export-pfx', () => {
  it('exports in both profiles; OpenSSL opens the files with the right password', async () => {
    const dir = folderCopy()
    const modern = join(tmp, 'm.pfx')
    const compat = join(tmp, 'c.pfx')
    const [a, b] = await Promise.all([
      certmgr(['export-pfx', dir, '--out', modern, '--password-file', PW]),
      certmgr(['export-pfx', dir, '--out', compat, '--password-file', '-', '--pfx-password-file', PFX_PW, '--profile', 'compatible'], PASSWORD + '\n'),
    ])
    expect(a).toMatchObject({ code: 0, err: '' })
    expect(a.out).toContain(`exported: ${modern} (profile modern, randomNum kept)`)
    expect(b).toMatchObject({ code: 0, err: '' })
    expect(b.out).toContain('profile compatible')
    expect(hex((await readPfx(new Uint8Array(readFileSync(modern)), PASSWORD)).pkcs8)).toBe(hex(PKCS8))
    const info = spawnSync('openssl', ['pkcs12', '-info', '-nodes', '-noout', '-in', compat, '-passin', `file:${PFX_PW}`], { encoding: 'utf8' })
    expect(info.status).toBe(0)
    expect(info.stderr).toContain('MAC: sha1')
  })

  it('wrong password exits 1; bad usage exits 2; always one line on stderr and no file', async () => {
    const dir = folderCopy()
    const out = join(tmp, 'never.pfx')
    const [wrong, noOut] = await Promise.all([
      certmgr(['export-pfx', dir, '--out', out, '--password-file', WRONG]),
      certmgr(['export-pfx', dir, '--password-file', PW]),
    ])
    const badProfile = await inProcess(['export-pfx', dir, '--out', out, '--password-file', PW, '--profile', 'weak'])
    const notFolder = await inProcess(['export-pfx', join(tmp, 'nowhere'), '--out', out, '--password-file', PW])
    expect(wrong.code).toBe(1)
    expect(wrong.err).toMatch(/^certmgr export-pfx: .*password/)
    for (const r of [noOut, badProfile, notFolder]) expect(r.code).toBe(2)
    expect(noOut.err).toContain('missing --out')
    expect(badProfile.err).toContain('--profile must be modern or compatible')
    for (const r of [wrong, noOut, badProfile, notFolder]) oneLine(r.err)
    expect(existsSync(out)).toBe(false)
  })
})

describe('certmgr import-pfx', () => {
  it('imports test.pfx into an NPKI root; the new signPri.key opens with the PFX password', async () => {
    const root = join(tmp, 'NPKI-a')
    const r = await certmgr(['import-pfx', join(FIX, 'test.pfx'), '--root', root, '--password-file', PW])
    const folder = join(root, FACTS.caFolder, 'USER', FACTS.npkiFolderName)
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out.trim()).toBe(`imported: ${folder}`)
    expect(hex(decryptSignPri(new Uint8Array(readFileSync(join(folder, 'signPri.key'))), PASSWORD).pkcs8)).toBe(hex(PKCS8))
    // Again: nothing to do. With a different key password: a conflict (exit 2) unless --replace.
    const again = await inProcess(['import-pfx', join(FIX, 'test.pfx'), '--root', root, '--password-file', PW])
    expect(again.out).toContain('already present')
    const clash = await inProcess(['import-pfx', join(FIX, 'test.pfx'), '--root', root, '--password-file', PW, '--key-password-file', PFX_PW])
    expect(clash.code).toBe(2)
    oneLine(clash.err)
    const replaced = await inProcess(['import-pfx', join(FIX, 'test.pfx'), '--root', root, '--password-file', PW, '--key-password-file', PFX_PW, '--replace'])
    expect(replaced.code).toBe(0)
    expect(hex(decryptSignPri(new Uint8Array(readFileSync(join(folder, 'signPri.key'))), 'Pfx#only-2468').pkcs8)).toBe(hex(PKCS8))
  })

  it('wrong password exits 1; weak new key password and bad usage exit 2; nothing is written', async () => {
    const root = join(tmp, 'NPKI-b')
    const [wrong, noRoot] = await Promise.all([
      certmgr(['import-pfx', join(FIX, 'test.pfx'), '--root', root, '--password-file', WRONG]),
      certmgr(['import-pfx', join(FIX, 'test.pfx'), '--password-file', PW]),
    ])
    const weak = await inProcess(['import-pfx', join(FIX, 'test.pfx'), '--root', root, '--password-file', PW, '--key-password-file', WEAK])
    const noFile = await inProcess(['import-pfx', join(tmp, 'absent.pfx'), '--root', root, '--password-file', PW])
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('certmgr import-pfx: the PFX password is wrong')
    expect(weak.code).toBe(2)
    expect(weak.err).toContain('characters')
    expect(noRoot.code).toBe(2)
    expect(noRoot.err).toContain('missing --root')
    expect(noFile.code).toBe(2)
    for (const r of [wrong, weak, noRoot, noFile]) oneLine(r.err)
    expect(existsSync(root)).toBe(false)
  })
})
