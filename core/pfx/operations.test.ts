import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readPfx } from '../formats/pfx'
import { decryptSignPri } from '../formats/signpri'
import { copyCert, exportCert, moveCert } from '../storage/operations'
import { fixture, plantFixture } from '../storage/testkit'
import { exportPfx, importPfx } from './operations'

// The round trips the deleted storage/transfer.ts dispatcher was tested with, on the functions
// the handlers and the CLI call.
let tmp = ''
const fx = fixture()
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-roundtrip-'))
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

describe('between locations', () => {
  it('folder → root, folder → dir, folder → PFX → root round trip', async () => {
    const src = plantFixture(join(tmp, 'pc'))
    const a = await copyCert(src, { toRoot: join(tmp, 'usb', 'NPKI'), password: fx.password })
    expect(a).toMatchObject({ outcome: 'copied' })
    const b = await exportCert(src, join(tmp, 'out'))
    expect(b.path).toBe(join(tmp, 'out', fx.folderName))
    const pfx = join(tmp, 'cert.pfx')
    expect(await exportPfx(src, fx.password, pfx, { profile: 'modern' })).toMatchObject({ path: pfx })
    const pkcs8 = decryptSignPri(fx.key, fx.password).pkcs8
    expect(Buffer.from((await readPfx(new Uint8Array(readFileSync(pfx)), fx.password)).pkcs8)).toEqual(Buffer.from(pkcs8))
    const c = await importPfx(pfx, fx.password, join(tmp, 'other', 'NPKI'))
    expect(c).toMatchObject({ outcome: 'created', folder: join(tmp, 'other', 'NPKI', fx.caFolder, 'USER', fx.folderName) })
  })

  it('moves folder → root', async () => {
    const src = plantFixture(join(tmp, 'pc'))
    const r = await moveCert(src, { toRoot: join(tmp, 'usb', 'NPKI') })
    expect(existsSync(src)).toBe(false)
    expect(readdirSync(r.path)).toHaveLength(2)
  })
})
