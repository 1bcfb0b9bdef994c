import { rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../tests/helpers/fixtures'
import { availableModules, isTrustedModulePath, trustedModuleDirs } from './pkcs11'
import { PinGuard } from './pins'

const dir = tempDir('certmgr-modules-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('availableModules', () => {
  it('keeps configured modules first and lists one library reached by two paths once', () => {
    const lib = join(dir, 'libreal.so')
    const link = join(dir, 'liblink.so')
    const other = join(dir, 'libother.so')
    writeFileSync(lib, '')
    writeFileSync(other, '')
    symlinkSync(lib, link)
    expect(availableModules([link, other, lib, join(dir, 'missing.so'), other], 'aix')).toEqual([link, other])
    expect(availableModules([lib, link], 'aix')).toEqual([lib])
  })
})

describe('isTrustedModulePath', () => {
  it('on Windows: Program Files and System32 yes, a folder any user can create under C:\\ no', () => {
    const dirs = trustedModuleDirs('win32', { ProgramFiles: 'C:\\Program Files', SystemRoot: 'C:\\Windows' })
    expect(isTrustedModulePath('C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll', 'win32', dirs)).toBe(true)
    expect(isTrustedModulePath('c:\\windows\\system32\\eTPKCS11.dll', 'win32', dirs)).toBe(true)
    expect(isTrustedModulePath('C:\\SoftHSM2\\lib\\softhsm2-x64.dll', 'win32', dirs)).toBe(false)
    expect(isTrustedModulePath('C:\\Program Files\\..\\SoftHSM2\\softhsm2-x64.dll', 'win32', dirs)).toBe(false)
    expect(isTrustedModulePath('C:\\Users\\kim\\AppData\\Local\\p11.dll', 'win32', dirs)).toBe(false)
    expect(isTrustedModulePath('softhsm2-x64.dll', 'win32', dirs)).toBe(false)
  })
  it('on POSIX: the real file must sit under a root-owned, not group- or world-writable path', () => {
    const planted = join(dir, 'libplanted.so')
    writeFileSync(planted, '')
    // Under a trusted prefix by name only: a link in /usr/lib cannot lend its trust to /tmp.
    expect(isTrustedModulePath(planted, 'linux', ['/usr/lib', dir.split('/').slice(0, 2).join('/')])).toBe(false)
    expect(isTrustedModulePath('/usr/lib/../../tmp/x.so', 'linux')).toBe(false)
  })
})

describe('PinGuard', () => {
  it('two guards on one file (the 보안토큰 tab and a wizard) share one count', async () => {
    const file = join(dir, 'pins.json')
    const a = new PinGuard(file, 3)
    const b = new PinGuard(file, 3)
    expect(a.failures('t')).toBe(0)
    expect(a.reserve('t')).toBe(2)
    expect(b.reserve('t')).toBe(1)
    expect(a.reserve('t')).toBe(0)
    expect(b.locked('t')).toBe(true)
    await b.ok('t')
    expect(a.locked('t')).toBe(false)
  })
})
