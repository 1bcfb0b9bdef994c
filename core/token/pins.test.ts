import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PinGuard } from './pins'

describe('PinGuard', () => {
  it('PinGuard lost update: wrong PINs counted at the same time are all kept in the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'certmgr-pins-')), 'token-pin-failures.json')
    const guard = new PinGuard(file, 5)
    const left = await Promise.all([guard.reserve('t'), guard.reserve('t'), guard.reserve('t')])
    expect(left.sort()).toEqual([2, 3, 4])
    expect(guard.failures('t')).toBe(3)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ t: 3 })
  })

  it('a right PIN clears the count only of its own token, also when it lands beside a wrong one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'certmgr-pins-')), 'token-pin-failures.json')
    const guard = new PinGuard(file, 5)
    guard.reserve('a')
    await Promise.all([guard.reserve('b'), guard.ok('a'), guard.reserve('b')])
    expect(guard.failures('a')).toBe(0)
    expect(guard.failures('b')).toBe(2)
    // Another instance on the same file (the CLI, a new process) sees the same counts.
    expect(new PinGuard(file, 5).failures('b')).toBe(2)
  })
})

describe('PinGuard reservations', () => {
  it('counts an attempt before the PIN is sent, refuses at the limit without counting, and gives back an attempt never judged', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'certmgr-pins-')), 'token-pin-failures.json')
    const guard = new PinGuard(file, 2)
    expect(guard.reserve('t')).toBe(1)
    expect(guard.reserve('t')).toBe(0)
    expect(guard.reserve('t')).toBeUndefined()
    expect(guard.failures('t')).toBe(2)
    guard.release('t')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ t: 1 })
    guard.release('t')
    guard.release('t')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({})
    // The lock file is gone after each change.
    expect(existsSync(`${file}.lock`)).toBe(false)
  })
})
