import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../certmgr'
import { storageCommands } from './storage'
import { fixture, plantFixture } from '../../core/storage/testkit'
import { textIO } from '../../tests/helpers/cli-io'

let tmp = ''
const fx = fixture()

const io = textIO

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-cli-storage-'))
  writeFileSync(join(tmp, 'pw'), fx.password + '\n')
  writeFileSync(join(tmp, 'bad'), 'not-the-password-1!\n')
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

describe('certmgr storage commands', () => {
  it('copy: 0 on success, 1 on a wrong password, 2 on a conflict or bad usage', async () => {
    const src = plantFixture(join(tmp, 'a'))
    const dst = join(tmp, 'b')
    let c = io()
    expect(await main(['copy', src, '--to-root', dst, '--password-file', join(tmp, 'pw')], c, storageCommands)).toBe(0)
    expect(c.outText).toContain(`copied: ${join(dst, fx.caFolder, 'USER', fx.folderName)}`)
    c = io()
    expect(await main(['copy', src, '--to-root', dst], c, storageCommands)).toBe(0)
    expect(c.outText).toMatch(/already there/)
    c = io()
    expect(await main(['copy', src, '--to-root', join(tmp, 'c'), '--password-file', join(tmp, 'bad')], c, storageCommands)).toBe(1)
    expect(c.errText).toBe('certmgr copy: the password does not open this private key\n')
    c = io()
    expect(await main(['copy', src], c, storageCommands)).toBe(2)
    expect(c.errText).toMatch(/missing --to-root/)
  })

  it('copy with several PATHs: one line per folder, non-zero exit when any failed', async () => {
    const a = plantFixture(join(tmp, 'a'), { km: true })
    const b = join(tmp, 'a', fx.caFolder, 'USER', 'cn=second')
    mkdirSync(b, { recursive: true })
    // A certificate that does not parse is placed by its folder's name: a second, distinct folder.
    writeFileSync(join(b, 'signCert.der'), new Uint8Array([0x30, 0x03, 1, 2, 3]))
    writeFileSync(join(b, 'signPri.key'), fx.key)
    const dst = join(tmp, 'b')
    const user = join(dst, fx.caFolder, 'USER')
    let c = io()
    expect(await main(['copy', a, b, '--to-root', dst], c, storageCommands)).toBe(0)
    expect(c.outText).toBe(`copied: ${join(user, fx.folderName)}\ncopied: ${join(user, 'cn=second')}\n`)
    expect(c.errText).toBe('')
    expect(readdirSync(user).sort()).toEqual(['cn=second', fx.folderName].sort())

    // One conflicts, one is already there, one is missing: exit 2, each on its own line.
    writeFileSync(join(b, 'signPri.key'), new Uint8Array([7]))
    c = io()
    expect(await main(['copy', a, b, join(tmp, 'missing'), '--to-root', dst], c, storageCommands)).toBe(2)
    expect(c.outText).toBe(`already there (identical): ${join(user, fx.folderName)}\n`)
    expect(c.errText.split('\n').filter(Boolean)).toEqual([
      `certmgr copy: ${b}: the destination holds this certificate with different key files`,
      `certmgr copy: ${join(tmp, 'missing')}: the certificate folder was not found`,
    ])

    // Only wrong passwords: exit 1, nothing written.
    c = io()
    expect(await main(['copy', a, a, '--to-root', join(tmp, 'c'), '--password-file', join(tmp, 'bad')], c, storageCommands)).toBe(1)
    expect(c.errText).toBe(`certmgr copy: ${a}: the password does not open this private key\n`.repeat(2))
    expect(existsSync(join(tmp, 'c'))).toBe(false)
  })

  it('move, delete, trash list and trash restore', async () => {
    const src = plantFixture(join(tmp, 'a'))
    const dst = join(tmp, 'b')
    const data = join(tmp, 'data')
    expect(await main(['move', src, '--to-root', dst], io(), storageCommands)).toBe(0)
    expect(existsSync(src)).toBe(false)
    const moved = join(dst, fx.caFolder, 'USER', fx.folderName)
    let c = io()
    expect(await main(['delete', moved, '--data', data], c, storageCommands)).toBe(0)
    const id = /as ([0-9a-f]{16})/.exec(c.outText)?.[1]
    expect(id).toBeDefined()
    c = io()
    expect(await main(['trash', 'list', '--json', '--data', data], c, storageCommands)).toBe(0)
    expect(JSON.parse(c.outText)).toEqual([expect.objectContaining({ id, originalPath: moved })])
    expect(await main(['trash', 'restore', id!, '--data', data], io(), storageCommands)).toBe(0)
    expect(readdirSync(moved).sort()).toEqual(['signCert.der', 'signPri.key'])
    c = io()
    expect(await main(['trash', 'restore', 'nope', '--data', data], c, storageCommands)).toBe(2)
  })

  it('drives --json prints a list', async () => {
    const c = io()
    expect(await main(['drives', '--json'], c, storageCommands)).toBe(0)
    expect(Array.isArray(JSON.parse(c.outText))).toBe(true)
  })
})
