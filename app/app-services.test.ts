import { copyFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEvent } from '../shared/contract/progress'
import { makeMixedRoot, PINK, PINK_PASSWORD, tempDir } from '../tests/helpers/fixtures'
import { createAppServices, type AppServices } from './app-services'

// Calls whose requests name paths: main must narrow them, whatever the renderer sends.
let services: AppServices
let root: string
let prevRoots: string | undefined
const events: AppEvent[] = []
const ctx = { emit: (e: AppEvent) => events.push(e) }

beforeAll(async () => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  root = makeMixedRoot().root
  process.env.CERTMGR_NPKI_ROOTS = root
  services = await createAppServices({ dataDir: tempDir(), host: 'web', version: 'test', watch: false, reminders: false, embeddedCenter: false })
})
afterAll(async () => {
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
})

describe('paths the renderer names', () => {
  it('imports a PFX only into a known NPKI root, and tells the UI the list changed', async () => {
    const pfx = join(tempDir(), 'test.pfx')
    copyFileSync(join(PINK, 'test.pfx'), pfx)
    const evil = tempDir()
    const refused = await services.dispatch('pfx.import', { path: pfx, pfxPassword: PINK_PASSWORD, root: evil }, ctx)
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(existsSync(join(evil, 'yessign'))).toBe(false)
    const ok = await services.dispatch('pfx.import', { path: pfx, pfxPassword: PINK_PASSWORD, root, replace: true }, ctx)
    expect(ok.ok).toBe(true)
    expect(events.some((e) => e.type === 'certs-changed')).toBe(true)
  })
  it('writes a PFX only as a .pfx or .p12 file', async () => {
    const list = await services.dispatch('certs.list', {}, ctx)
    const id = (list as { ok: true; value: { certs: { id: string; state: string }[] } }).value.certs.find((c) => c.state === 'expired')!.id
    const out = join(tempDir(), 'profile.txt')
    const r = await services.dispatch('pfx.export', { certId: id, password: PINK_PASSWORD, profile: 'compatible', outPath: out }, ctx)
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', params: { reason: 'pfx-extension' } } })
    expect(existsSync(out)).toBe(false)
    const good = await services.dispatch('pfx.export', { certId: id, password: PINK_PASSWORD, profile: 'compatible', outPath: join(tempDir(), 'hkd.pfx') }, ctx)
    expect(good.ok).toBe(true)
  })
})

describe('settings that widen what main may touch', () => {
  it('accepts only NPKI folders by full path as extra roots', async () => {
    for (const bad of ['relative/NPKI', '/home/u/.config/autostart', '/etc']) {
      expect(await services.dispatch('settings.set', { extraRoots: [bad] }, ctx)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', params: { reason: 'not-npki' } } })
    }
    expect(await services.dispatch('settings.set', { extraRoots: ['/media/usb/NPKI', 'D:\\NPKI'] }, ctx)).toMatchObject({ ok: true })
  })
  it('accepts a remote center only over https, plain http only on loopback', async () => {
    expect(await services.dispatch('settings.set', { centerUrl: 'http://ca.example.com' }, ctx)).toMatchObject({ ok: false, error: { params: { reason: 'center-url' } } })
    expect(await services.dispatch('settings.set', { centerUrl: 'https://ca.example.com/cmp' }, ctx)).toMatchObject({ ok: true })
    expect(await services.dispatch('settings.set', { centerUrl: 'http://127.0.0.1:8080' }, ctx)).toMatchObject({ ok: true })
    expect(await services.dispatch('settings.set', { centerUrl: '' }, ctx)).toMatchObject({ ok: true })
  })
  it('stores received phone files only into a known root', async () => {
    const r = await services.dispatch('transfer.saveReceived', { sessionId: '00000000-0000-4000-8000-000000000000', password: 'x', root: '/home/u/.config/autostart' }, ctx)
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
  })
})
