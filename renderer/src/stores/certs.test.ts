import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { setApi } from '../api/client'
import { currentLocale, setLocale } from '../i18n/index'
import { FakeApi, summary } from '../testing/fake-api'
import { useCertsStore } from './certs'
import { useSettingsStore } from './settings'

let fake: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  fake = new FakeApi()
  fake.certs = [summary({ id: 'x', state: 'expired' }), summary({ id: 'y', state: 'valid', owner: '홍길동' }), summary({ id: 'z', state: 'damaged', damaged: 'signCert.der is corrupt' })]
  setApi(fake)
  setLocale('ko')
})

describe('certs store', () => {
  it('loads the list and the searched roots', async () => {
    const certs = useCertsStore()
    await certs.refresh()
    expect(certs.list.map((c) => c.id)).toEqual(['x', 'y', 'z'])
    expect(certs.roots[0]?.path).toBe('/home/u/NPKI')
    expect(certs.loading).toBe(false)
    expect(certs.loaded).toBe(true)
    expect(fake.calls.find((c) => c.name === 'certs.list')?.req).toEqual({ rescan: true })
  })

  it('asks for the list at once but shows it only once what it waits for (the settings) settled', async () => {
    const certs = useCertsStore()
    let settle!: () => void
    const settings = new Promise<void>((ok) => (settle = ok))
    const refreshing = certs.refresh(false, settings)
    await new Promise((ok) => setTimeout(ok, 20))
    expect(fake.calls.some((c) => c.name === 'certs.list')).toBe(true)
    expect(certs.loaded).toBe(false)
    expect(certs.list).toHaveLength(0)
    settle()
    await refreshing
    expect(certs.loaded).toBe(true)
    expect(certs.list).toHaveLength(3)
  })

  it('filters expired certificates when hideExpired is set and persists the choice', async () => {
    const certs = useCertsStore()
    await certs.refresh()
    expect(certs.visible).toHaveLength(3)
    await certs.setHideExpired(true)
    expect(certs.visible.map((c) => c.id)).toEqual(['y', 'z'])
    expect(certs.hiddenCount).toBe(1)
    expect(fake.settings.hideExpired).toBe(true)
    expect(fake.calls.some((c) => c.name === 'settings.set' && (c.req as { hideExpired?: boolean }).hideExpired === true)).toBe(true)
  })

  it('keeps a typed error when the list fails, and clears it on success', async () => {
    fake.overrides['certs.list'] = () => {
      throw { code: 'IO', message: 'permission denied' }
    }
    const certs = useCertsStore()
    await certs.refresh()
    expect(certs.error?.code).toBe('IO')
    delete fake.overrides['certs.list']
    await certs.refresh()
    expect(certs.error).toBeNull()
    expect(certs.list).toHaveLength(3)
  })

  it('opens details, and reports a missing certificate as NOT_FOUND', async () => {
    const certs = useCertsStore()
    await certs.refresh()
    await certs.openDetails('c1')
    expect(certs.detailsOpen).toBe(true)
    expect(certs.details?.serialHex).toBe('459c75')
    await certs.openDetails('nope')
    expect(certs.details).toBeNull()
    expect(certs.detailsError?.code).toBe('NOT_FOUND')
    certs.closeDetails()
    expect(certs.detailsOpen).toBe(false)
  })

  it('drops the selection when the certificate disappears on refresh', async () => {
    const certs = useCertsStore()
    await certs.refresh()
    certs.select('y')
    expect(certs.selected?.owner).toBe('홍길동')
    fake.certs = fake.certs.filter((c) => c.id !== 'y')
    await certs.refresh()
    expect(certs.selectedId).toBeNull()
  })
})

describe('settings store', () => {
  it('applies the saved language on load', async () => {
    fake.settings.language = 'en'
    const s = useSettingsStore()
    await s.load()
    expect(currentLocale()).toBe('en')
    expect(s.info?.version).toBe('9.9.9')
  })

  it('rolls back a change main refused', async () => {
    const s = useSettingsStore()
    await s.load()
    fake.overrides['settings.set'] = () => {
      throw { code: 'IO', message: 'read-only' }
    }
    expect(await s.setLanguage('en')).toBe(false)
    expect(s.settings.language).toBe('ko')
    expect(currentLocale()).toBe('ko')
    expect(s.error?.code).toBe('IO')
  })

  it('adds and removes extra roots, ignoring blanks and duplicates', async () => {
    const s = useSettingsStore()
    await s.load()
    expect(await s.addRoot('  /media/usb/NPKI ')).toBe(true)
    expect(await s.addRoot('/media/usb/NPKI')).toBe(false)
    expect(await s.addRoot('   ')).toBe(false)
    expect(fake.settings.extraRoots).toEqual(['/media/usb/NPKI'])
    await s.removeRoot('/media/usb/NPKI')
    expect(fake.settings.extraRoots).toEqual([])
  })
})
