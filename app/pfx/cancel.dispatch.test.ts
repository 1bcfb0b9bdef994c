import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PFX_EXPORT_WRITE_FRACTION, type AppEvent } from '../../shared/contract/progress'
import { readPfx, writePfx } from '../../core/formats/pfx'
import { PINK, PINK_PASSWORD, addPinkCert, tempDir } from '../../tests/helpers/fixtures'
import { treeSnapshot } from '../../tests/helpers/tree-snapshot'
import { createAppServices, type AppServices } from '../app-services'

// Through the app's whole dispatcher (createAppServices): the PFX area's operations have their
// own cancel. The old code kept one record of running operations for the wizards and the PFX
// import, so 'enroll.cancel' with an import's opId stopped the import.

let services: AppServices
let root: string
let slow: string
let prevRoots: string | undefined

beforeAll(async () => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  const base = tempDir('pfx-cancel-')
  root = join(base, 'NPKI')
  mkdirSync(root, { recursive: true })
  process.env.CERTMGR_NPKI_ROOTS = root
  // A real PFX of the fixture whose key derivation takes a while (the legacy profile's seven
  // SHA-1 derivations), so a cancel can land while it runs.
  const src = await readPfx(new Uint8Array(readFileSync(join(PINK, 'test.pfx'))), PINK_PASSWORD)
  slow = join(base, 'slow.pfx')
  writeFileSync(slow, await writePfx({ certDer: src.certDer, pkcs8: src.pkcs8 }, PINK_PASSWORD, 'compatible', { iterations: 300_000 }))
  services = await createAppServices({ dataDir: join(base, 'data'), host: 'web', version: 'test', watch: false, reminders: false, embeddedCenter: false })
})
afterAll(async () => {
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
})

/** A context that runs `onEvent` for each progress event of `opId`. */
function watching(opId: string, onEvent: (e: Extract<AppEvent, { type: 'progress' }>) => void): { emit: (e: AppEvent) => void } {
  return { emit: (e) => (e.type === 'progress' && e.progress.opId === opId ? onEvent(e) : undefined) }
}

describe('each running operation has its own cancel', () => {
  it("enroll.cancel does not stop a PFX import under the same opId; pfx.cancel does, and nothing is imported", async () => {
    let enrollCancel: Promise<unknown> | undefined
    const ctx = watching('op-1', () => (enrollCancel ??= services.dispatch('enroll.cancel', { opId: 'op-1' }, { emit: () => undefined })))
    const r = await services.dispatch('pfx.import', { opId: 'op-1', path: slow, pfxPassword: PINK_PASSWORD, root }, ctx)
    expect(await enrollCancel).toEqual({ ok: true, value: { cancelled: false } })
    expect(r).toMatchObject({ ok: true, value: { outcome: 'created' } })

    const root2 = join(tempDir('pfx-cancel-root-'), 'NPKI')
    mkdirSync(root2)
    process.env.CERTMGR_NPKI_ROOTS = [root, root2].join(':')
    let pfxCancel: Promise<unknown> | undefined
    const ctx2 = watching('op-2', () => (pfxCancel ??= services.dispatch('pfx.cancel', { opId: 'op-2' }, { emit: () => undefined })))
    const cancelled = await services.dispatch('pfx.import', { opId: 'op-2', path: slow, pfxPassword: PINK_PASSWORD, root: root2 }, ctx2)
    expect(await pfxCancel).toEqual({ ok: true, value: { cancelled: true } })
    expect(cancelled).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(readdirSync(root2)).toEqual([])
  })

  it('pfx.cancel does not reach an enrollment: it answers that no PFX operation runs under that opId', async () => {
    expect(await services.dispatch('pfx.cancel', { opId: 'nothing' }, { emit: () => undefined })).toEqual({ ok: true, value: { cancelled: false } })
  })
})

describe('pfx.export through the dispatcher: progress and cancel (the use-case guarantee)', () => {
  async function certId(): Promise<string> {
    const folder = addPinkCert(root, { folder: 'cn=export-test' })
    const list = (await services.dispatch('certs.list', {}, { emit: () => undefined })) as { ok: true; value: { certs: { id: string; path: string }[] } }
    return list.value.certs.find((c) => c.path === folder)!.id
  }

  it('reports its stages in order under the opId and writes the file', async () => {
    const id = await certId()
    const out = join(tempDir('pfx-export-'), 'hkd.pfx')
    const fractions: number[] = []
    const r = await services.dispatch('pfx.export', { opId: 'ex-1', certId: id, password: PINK_PASSWORD, profile: 'compatible', outPath: out }, watching('ex-1', (e) => fractions.push(e.progress.fraction ?? -1)))
    expect(r).toMatchObject({ ok: true, value: { path: out } })
    expect(fractions).toEqual([0, 0.05, 0.1, 0.55, 0.95])
    // The write is reported at the fraction where the export screen stops offering 취소.
    expect(fractions.at(-1)).toBe(PFX_EXPORT_WRITE_FRACTION)
    expect(existsSync(out)).toBe(true)
  })

  // A cancel takes a round trip through the dispatcher: sent when the encryption (0.1) or the
  // read-back (0.55) starts, it lands while that long stage runs and is heard before the write.
  for (const at of [0.1, 0.55]) {
    it(`pfx.cancel heard at ${at} writes nothing and leaves the certificate folder as it was`, async () => {
      const id = await certId()
      const dir = tempDir('pfx-export-')
      const before = treeSnapshot(dir, root)
      let cancel: Promise<unknown> | undefined
      const ctx = watching('ex-2', (e) => e.progress.fraction === at && (cancel ??= services.dispatch('pfx.cancel', { opId: 'ex-2' }, { emit: () => undefined })))
      const r = await services.dispatch('pfx.export', { opId: 'ex-2', certId: id, password: PINK_PASSWORD, profile: 'modern', outPath: join(dir, 'hkd.pfx') }, ctx)
      expect(await cancel).toEqual({ ok: true, value: { cancelled: true } })
      expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
      expect(treeSnapshot(dir, root)).toEqual(before)
    })
  }

  it('a cancel sent as the write starts finds it all or nothing: a whole PFX, or no file', async () => {
    const id = await certId()
    const dir = tempDir('pfx-export-')
    const out = join(dir, 'hkd.pfx')
    let cancel: Promise<unknown> | undefined
    const ctx = watching('ex-3', (e) => e.progress.fraction === 0.95 && (cancel ??= services.dispatch('pfx.cancel', { opId: 'ex-3' }, { emit: () => undefined })))
    const r = await services.dispatch('pfx.export', { opId: 'ex-3', certId: id, password: PINK_PASSWORD, profile: 'compatible', outPath: out }, ctx)
    await cancel
    if (r.ok) expect((await readPfx(new Uint8Array(readFileSync(out)), PINK_PASSWORD)).certDer.length).toBeGreaterThan(0)
    else expect(readdirSync(dir)).toEqual([])
  })
})
