import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAppServices, type AppServices } from '../../app/app-services'
import { PasswordGuard } from '../../app/password-guard'
import { setTransferListenerDefaults } from '../../app/transfer/handlers'
import { outgoingFiles } from '../../core/transfer/files'
import type { AppEvent } from '../../shared/contract/progress'
import { addPinkCert, PINK_PASSWORD, tempDir } from '../helpers/fixtures'

// Finding 7 of the desktop security review: `transfer.startSend` with the `npki` format sent
// signPri.key without asking for the password, so a caller with API access (a compromised
// renderer, a script on the browser host) could take the key away and guess its password
// offline, past the counted tries. Every call that hands a key out (PFX export, phone copy in
// either format, copy or move to another place) now needs the password, checked and counted.
const clock = { t: 1_700_000_000_000 }
const ctx = { emit: (_e: AppEvent) => undefined }
let services: AppServices
let root: string
let dataDir: string
let certId: string
let prevRoots: string | undefined
let folder: string

beforeAll(async () => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  // A stand-in phone page: this test is about what starts a send, not about the page.
  setTransferListenerDefaults({ host: '127.0.0.1', page: { html: '<html><head></head></html>', js: new Uint8Array(0), css: new Uint8Array(0) } })
  root = join(tempDir('sec-f7-'), 'NPKI')
  folder = addPinkCert(root)
  process.env.CERTMGR_NPKI_ROOTS = root
  dataDir = tempDir('sec-f7-data-')
  services = await createAppServices({
    dataDir,
    host: 'web',
    version: 'test',
    watch: false,
    reminders: false,
    embeddedCenter: false,
    passwordGuard: new PasswordGuard({ now: () => clock.t }),
  })
  const list = await services.dispatch('certs.list', {}, ctx)
  if (!list.ok) throw new Error(list.error.message)
  certId = (list.value as { certs: { id: string }[] }).certs[0]!.id
})

afterAll(async () => {
  setTransferListenerDefaults({})
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
  rmSync(dirname(root), { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

describe('finding 7: the password before any export of a key', () => {
  it('transfer.startSend with npki and no password is refused before a listener starts', async () => {
    const r = await services.dispatch('transfer.startSend', { certId, format: 'npki', host: '127.0.0.1' }, ctx)
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
  })

  it('a wrong password is refused (WRONG_PASSWORD) and counted with every other key export', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await services.dispatch('transfer.startSend', { certId, format: 'npki', password: `guess-${i}`, host: '127.0.0.1' }, ctx)
      expect(r).toMatchObject({ ok: false, error: { code: 'WRONG_PASSWORD' } })
    }
    // The limit is reached: even the right password waits, on every key-export call.
    for (const [name, req] of [
      ['transfer.startSend', { certId, format: 'npki', password: PINK_PASSWORD, host: '127.0.0.1' }],
      ['transfer.startSend', { certId, format: 'pfx', password: PINK_PASSWORD, host: '127.0.0.1' }],
      ['pfx.export', { certId, password: PINK_PASSWORD, profile: 'compatible', outPath: join(dataDir, 'x.pfx') }],
      ['storage.copy', { certId, password: PINK_PASSWORD, toRoot: join(dataDir, 'elsewhere') }],
    ] as const) {
      expect(await services.dispatch(name, req, ctx), name).toMatchObject({ ok: false, error: { code: 'TOO_MANY_ATTEMPTS' } })
    }
    clock.t += 60_000
    const ok = await services.dispatch('transfer.startSend', { certId, format: 'npki', password: PINK_PASSWORD, host: '127.0.0.1' }, ctx)
    expect(ok).toMatchObject({ ok: true, value: { format: 'npki' } })
    const sessionId = (ok as { value: { sessionId: string } }).value.sessionId
    await services.dispatch('transfer.cancel', { sessionId }, ctx)
  })

  it('every key-export call requires the password in its request schema', async () => {
    for (const [name, req] of [
      ['pfx.export', { certId, profile: 'compatible', outPath: join(dataDir, 'y.pfx') }],
      ['storage.copy', { certId, toRoot: join(dataDir, 'elsewhere') }],
      ['storage.move', { certId, toRoot: join(dataDir, 'elsewhere') }],
      ['transfer.startSend', { certId, format: 'pfx' }],
    ] as const) {
      expect(await services.dispatch(name, req, ctx), name).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    }
  })

  it('the core send path itself refuses a folder without the right password (CLI included)', async () => {
    await expect(outgoingFiles(folder, 'npki', {})).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(outgoingFiles(folder, 'npki', { password: 'not-it' })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' })
    const out = await outgoingFiles(folder, 'npki', { password: PINK_PASSWORD })
    expect(out.files.map((f) => f.name)).toEqual(['signCert.der', 'signPri.key'])
  })
})
