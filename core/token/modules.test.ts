import { rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../tests/helpers/fixtures'
import { availableModules } from './pkcs11'
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

describe('PinGuard', () => {
  it('two guards on one file (the 보안토큰 tab and a wizard) share one count', async () => {
    const file = join(dir, 'pins.json')
    const a = new PinGuard(file, 3)
    const b = new PinGuard(file, 3)
    expect(a.failures('t')).toBe(0)
    expect(await a.fail('t')).toBe(2)
    expect(await b.fail('t')).toBe(1)
    expect(await a.fail('t')).toBe(0)
    expect(b.locked('t')).toBe(true)
    await b.ok('t')
    expect(a.locked('t')).toBe(false)
  })
})
