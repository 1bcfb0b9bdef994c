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

describe('PFX export cannot be cancelled while it derives keys', () => {
  for (const profile of ['compatible', 'modern'] as const) {
    it(`${profile}: a cancel during the key derivation stops the export there and leaves no file; the main thread keeps running meanwhile`, async () => {
      const src = plantFixture(join(tmp, 'pc'))
      const out = join(tmp, 'out', 'cert.pfx')
      const ac = new AbortController()
      const stages: string[] = []
      // A timer on this thread cancels on its third tick after the derivation started: it can
      // tick only while the derivation runs elsewhere. The old export derived on this thread, so
      // the cancel came after the derivation and was first heard at 'verify'.
      let ticks = 0
      let timer: NodeJS.Timeout | undefined
      const startTicking = () => {
        timer = setInterval(() => {
          if (++ticks === 3) ac.abort()
        }, 10)
      }
      const err = await exportPfx(src, fx.password, out, {
        profile,
        iterations: 1_000_000,
        ports: { signal: ac.signal, progress: (stage) => (stages.push(stage), stage === 'derive' && startTicking()) },
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      clearInterval(timer)
      expect(err).toMatchObject({ code: 'CANCELLED' })
      expect(stages).toEqual(['check', 'open', 'derive'])
      expect(existsSync(out)).toBe(false)
      expect(existsSync(join(tmp, 'out')) ? readdirSync(join(tmp, 'out')) : []).toEqual([])
    })
  }

  it('an export that is not cancelled still writes a PFX that opens', async () => {
    const src = plantFixture(join(tmp, 'pc'))
    const out = join(tmp, 'ok.pfx')
    await exportPfx(src, fx.password, out, { profile: 'compatible', ports: { signal: new AbortController().signal } })
    const pkcs8 = decryptSignPri(fx.key, fx.password).pkcs8
    expect(Buffer.from((await readPfx(new Uint8Array(readFileSync(out)), fx.password)).pkcs8)).toEqual(Buffer.from(pkcs8))
  })
})
