import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readPfx } from '../formats/pfx'
import { decryptSignPri } from '../formats/signpri'
import { fixture, plantFixture } from './testkit'
import { transfer } from './transfer'

let tmp = ''
const fx = fixture()
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-transfer-'))
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

describe('transfer between locations', () => {
  it('folder → root, folder → dir, folder → PFX → root round trip', async () => {
    const src = plantFixture(join(tmp, 'pc'))
    const a = await transfer({ kind: 'folder', path: src }, { kind: 'root', path: join(tmp, 'usb', 'NPKI') }, { password: fx.password })
    expect(a).toMatchObject({ outcome: 'copied' })
    const b = await transfer({ kind: 'folder', path: src }, { kind: 'dir', path: join(tmp, 'out') })
    expect(b.path).toBe(join(tmp, 'out', fx.folderName))
    const pfx = join(tmp, 'cert.pfx')
    expect(await transfer({ kind: 'folder', path: src }, { kind: 'pfx', path: pfx, profile: 'modern' }, { password: fx.password })).toEqual({ path: pfx, outcome: 'exported' })
    const pkcs8 = decryptSignPri(fx.key, fx.password).pkcs8
    expect(Buffer.from((await readPfx(new Uint8Array(readFileSync(pfx)), fx.password)).pkcs8)).toEqual(Buffer.from(pkcs8))
    const c = await transfer({ kind: 'pfx', path: pfx }, { kind: 'root', path: join(tmp, 'other', 'NPKI') }, { password: fx.password })
    expect(c).toMatchObject({ outcome: 'created', path: join(tmp, 'other', 'NPKI', fx.caFolder, 'USER', fx.folderName) })
  })

  it('moves only folder → root, and never takes keys off a token', async () => {
    const src = plantFixture(join(tmp, 'pc'))
    await expect(transfer({ kind: 'folder', path: src }, { kind: 'dir', path: join(tmp, 'x') }, { move: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(transfer({ kind: 'token', ref: { module: '/nonexistent.so' }, pin: '1234' }, { kind: 'root', path: join(tmp, 'y') })).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'non-extractable' } })
    await expect(transfer({ kind: 'folder', path: src }, { kind: 'token', ref: { module: '/nonexistent.so' }, pin: '1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    const r = await transfer({ kind: 'folder', path: src }, { kind: 'root', path: join(tmp, 'usb', 'NPKI') }, { move: true })
    expect(existsSync(src)).toBe(false)
    expect(readdirSync(r.path!)).toHaveLength(2)
  })
})
