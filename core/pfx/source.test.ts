import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { readPfx, writePfx } from '../formats/pfx'
import { readRandomNum } from '../formats/signpri'
import { FIXTURE_DIR, FIXTURE_PASSWORD, FIXTURE_RANDOM_NUM, opensslVidFolder } from '../keys/test-folders'
import { exportPfx } from './operations'
import { changePfxPassword, isPfxPath, loadKeySource, profileOf, verifyPfxIdentity } from './source'

const tmp = mkdtempSync(join(tmpdir(), 'pfx-source-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const TEST_PFX = join(FIXTURE_DIR, 'test.pfx')
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex')

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return (e as CertError).code
  }
  return 'resolved'
}

describe('loadKeySource', () => {
  it('opens a PFX and exposes its randomNum', async () => {
    const src = await loadKeySource(TEST_PFX, FIXTURE_PASSWORD)
    expect(hex(src.randomNum)).toBe(FIXTURE_RANDOM_NUM)
    expect(hex(src.certDer)).toBe(hex(new Uint8Array(readFileSync(join(FIXTURE_DIR, 'signCert.der')))))
    expect(await codeOf(loadKeySource(TEST_PFX, 'nope'))).toBe('WRONG_PASSWORD')
    expect(await codeOf(loadKeySource(join(tmp, 'missing.pfx'), 'x'))).toBe('NOT_FOUND')
    expect(isPfxPath('a/b/C.P12')).toBe(true)
    expect(isPfxPath('a/b/signPri.key')).toBe(false)
  })
})

describe('changePfxPassword', () => {
  it('rewrites the PFX under the new password, keeping key bytes and profile', async () => {
    const file = join(tmp, 'change.pfx')
    writeFileSync(file, readFileSync(TEST_PFX))
    const before = await readPfx(new Uint8Array(readFileSync(file)), FIXTURE_PASSWORD)
    expect(profileOf(before)).toBe('compatible')
    expect(await changePfxPassword(file, FIXTURE_PASSWORD, 'New#pfx-2468', { iterations: 500 })).toEqual({ profile: 'compatible' })
    const after = await readPfx(new Uint8Array(readFileSync(file)), 'New#pfx-2468')
    expect(hex(after.pkcs8)).toBe(hex(before.pkcs8))
    expect(after.macAlgorithm).toBe('sha1')
    expect(await codeOf(readPfx(new Uint8Array(readFileSync(file)), FIXTURE_PASSWORD))).toBe('WRONG_PASSWORD')
  })

  it('keeps the modern profile, refuses a weak new password and a wrong old one without touching the file', async () => {
    const file = join(tmp, 'modern.pfx')
    const { certDer, pkcs8 } = await readPfx(new Uint8Array(readFileSync(TEST_PFX)), FIXTURE_PASSWORD)
    writeFileSync(file, await writePfx({ certDer, pkcs8 }, 'Old#pfx-1357', 'modern', { iterations: 100 }))
    const original = readFileSync(file)
    expect(await codeOf(changePfxPassword(file, 'Old#pfx-1357', 'weak'))).toBe('PASSWORD_RULE')
    expect(await codeOf(changePfxPassword(file, 'Wrong#pfx-1357', 'New#pfx-2468'))).toBe('WRONG_PASSWORD')
    expect(readFileSync(file).equals(original)).toBe(true)
    expect((await changePfxPassword(file, 'Old#pfx-1357', 'New#pfx-2468', { iterations: 100 })).profile).toBe('modern')
    expect(hex(readRandomNum((await readPfx(new Uint8Array(readFileSync(file)), 'New#pfx-2468')).pkcs8))).toBe(FIXTURE_RANDOM_NUM)
  })
})

describe('verifyPfxIdentity', () => {
  it('matches the right resident number and rejects another, from a PFX', async () => {
    const randomNum = Uint8Array.from({ length: 20 }, (_, i) => i * 7 + 1)
    const folder = opensslVidFolder(join(tmp, 'vid'), 'Vid#folder-97', randomNum, '8001011234567')
    const pfx = join(tmp, 'vid.pfx')
    await exportPfx(folder, 'Vid#folder-97', pfx, { profile: 'modern', iterations: 100 })
    expect(await verifyPfxIdentity(pfx, 'Vid#folder-97', '800101-1234567')).toBe('match')
    expect(await verifyPfxIdentity(pfx, 'Vid#folder-97', '8001011234568')).toBe('mismatch')
    expect(await codeOf(verifyPfxIdentity(pfx, 'wrong', '8001011234567'))).toBe('WRONG_PASSWORD')
  })
})
