import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptSignPri, readRandomNum } from '../../core/formats/signpri'
import { FIXTURE_PASSWORD, FIXTURE_RANDOM_NUM, fixtureFolder, opensslVidFolder } from '../../core/keys/test-folders'
import { main } from '../certmgr'
import type { CliIO } from '../command'

const REPO = resolve(import.meta.dirname, '../..')
const root = mkdtempSync(join(tmpdir(), 'cli-keys-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function secret(name: string, value: string): string {
  const p = join(root, name)
  writeFileSync(p, value + '\n')
  return p
}

function fakeIO(): CliIO & { outs: string[]; errs: string[] } {
  const outs: string[] = []
  const errs: string[] = []
  return {
    outs,
    errs,
    out: (t) => outs.push(t),
    err: (t) => errs.push(t),
    readSecret: async (p) => readFileSync(p, 'utf8').replace(/\r?\n$/, ''),
  }
}

const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  const io = fakeIO()
  const code = await main(argv, io)
  return { code, out: io.outs.join('\n'), err: io.errs.join('\n') }
}

let n = 0
const fresh = (): string => fixtureFolder(join(root, `f${n++}`))
const PW = secret('pw.txt', FIXTURE_PASSWORD)
const NEW = secret('new.txt', 'Fresh#pw8642')
const WRONG = secret('wrong.txt', 'not-the-password')

describe('certmgr passwd', () => {
  it('refuses two secret files from standard input, naming both options, before reading anything', async () => {
    const dir = fresh()
    const before = readFileSync(join(dir, 'signPri.key'))
    const r = await run(['passwd', dir, '--password-file', '-', '--new-password-file', '-'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/only one of --password-file and --new-password-file can be standard input/)
    expect(readFileSync(join(dir, 'signPri.key')).equals(before)).toBe(true)
    const v = await run(['verify-id', dir, '--password-file', '-', '--idn-file', '-'])
    expect(v.code).toBe(2)
    expect(v.err).toMatch(/only one of --password-file and --idn-file can be standard input/)
  })

  it('changes the password; the new one opens the key and randomNum is unchanged', async () => {
    const dir = fresh()
    const r = await run(['passwd', dir, '--password-file', PW, '--new-password-file', NEW])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/password changed: signPri\.key \(scheme A\)/)
    const key = new Uint8Array(readFileSync(join(dir, 'signPri.key')))
    const opened = decryptSignPri(key, 'Fresh#pw8642')
    expect(Buffer.from(readRandomNum(opened.pkcs8) as Uint8Array).toString('hex')).toBe(FIXTURE_RANDOM_NUM)
    expect(() => decryptSignPri(key, FIXTURE_PASSWORD)).toThrow()
  })

  it('a wrong old password exits 1 with one line', async () => {
    const dir = fresh()
    const before = readFileSync(join(dir, 'signPri.key'))
    const r = await run(['passwd', dir, '--password-file', WRONG, '--new-password-file', NEW])
    expect(r.code).toBe(1)
    expect(r.err).toBe('certmgr passwd: the password does not open this private key')
    expect(readFileSync(join(dir, 'signPri.key'))).toEqual(before)
  })

  it('a new password breaking the rule exits 2 with the rule explained', async () => {
    const r = await run(['passwd', fresh(), '--password-file', PW, '--new-password-file', secret('weak.txt', 'abc12345!x')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/ascending/)
  })

  it('changes the password of a PFX file too, and the old password then fails', async () => {
    const pfxPath = join(root, 'cert.pfx')
    copyFileSync(resolve(REPO, '../shared/fixtures/pypinksign/test.pfx'), pfxPath)
    const r = await run(['passwd', pfxPath, '--password-file', PW, '--new-password-file', NEW])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/PFX/)
    expect((await run(['passwd', pfxPath, '--password-file', PW, '--new-password-file', NEW])).code).toBe(1)
  })

  it('usage errors exit 2: missing option, missing PFX, not a folder', async () => {
    expect((await run(['passwd', fresh(), '--password-file', PW])).code).toBe(2)
    const pfx = await run(['passwd', join(root, 'missing.pfx'), '--password-file', PW, '--new-password-file', NEW])
    expect(pfx.code).toBe(2)
    expect(pfx.err).toMatch(/no such file/)
    expect((await run(['passwd', PW, '--password-file', PW, '--new-password-file', NEW])).err).toMatch(/not a certificate folder/)
    expect((await run(['passwd', join(root, 'nope'), '--password-file', PW, '--new-password-file', NEW])).code).toBe(2)
  })
})

describe('certmgr verify-id', () => {
  const IDN = '8505051234567'
  const RN = Uint8Array.from(Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', 'hex'))
  let vidDir: string
  let noVidDir: string
  beforeAll(() => {
    vidDir = opensslVidFolder(join(root, 'vid'), FIXTURE_PASSWORD, RN, IDN)
    noVidDir = opensslVidFolder(join(root, 'novid'), FIXTURE_PASSWORD, RN, undefined)
  })

  it('exits 0 on match (hyphenated number accepted)', async () => {
    const r = await run(['verify-id', vidDir, '--password-file', PW, '--idn-file', secret('idn.txt', '850505-1234567')])
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/identity verified/) })
  })

  it('exits 1 on mismatch and on no VID, with clear messages', async () => {
    const other = secret('idn2.txt', '8505051234568')
    expect(await run(['verify-id', vidDir, '--password-file', PW, '--idn-file', other])).toMatchObject({ code: 1, err: expect.stringMatching(/identity mismatch/) })
    expect(await run(['verify-id', noVidDir, '--password-file', PW, '--idn-file', other])).toMatchObject({ code: 1, err: 'certmgr verify-id: this certificate carries no VID' })
  })

  it('exits 1 on a wrong password and 2 on a malformed number', async () => {
    const idn = secret('idn3.txt', IDN)
    expect((await run(['verify-id', vidDir, '--password-file', WRONG, '--idn-file', idn])).code).toBe(1)
    const bad = await run(['verify-id', vidDir, '--password-file', PW, '--idn-file', secret('idn4.txt', '12-34')])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/13 digits/)
  })

  it('runs as a real process (npx tsx cli/certmgr.ts): exit codes and no stack traces', () => {
    const dir = fresh()
    const ok = spawnSync('npx', ['tsx', 'cli/certmgr.ts', 'passwd', dir, '--password-file', PW, '--new-password-file', NEW], { cwd: REPO, encoding: 'utf8' })
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/password changed/)
    // The old password no longer opens: a one-line error and exit 1, no stack trace.
    const wrong = spawnSync(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'verify-id', dir, '--password-file', PW, '--idn-file', secret('idn5.txt', IDN)], { cwd: REPO, encoding: 'utf8' })
    expect(wrong.status).toBe(1)
    expect(wrong.stderr.trim().split('\n')).toEqual(['certmgr verify-id: the password does not open this private key'])
  })
})
