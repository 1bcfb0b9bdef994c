import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { setApi } from './api/client'
import App from './App.vue'
import { i18n, setLocale } from './i18n/index'
import { FakeApi, details, summary } from './testing/fake-api'

let fake: FakeApi

/** Screens other than the list load on demand: waits until `selector` is rendered. */
async function loaded(w: Awaited<ReturnType<typeof mountApp>>, selector: string) {
  await vi.waitFor(async () => {
    await flushPromises()
    if (!w.find(selector).exists()) throw new Error(`${selector} not rendered yet`)
    // The first import of a screen is compiled on the fly here, which takes seconds on a busy machine.
  }, { timeout: 15_000, interval: 50 })
}

async function mountApp() {
  const w = mount(App, { global: { plugins: [createPinia(), i18n] }, attachTo: document.body })
  await flushPromises()
  return w
}

beforeEach(() => {
  document.body.innerHTML = ''
  setLocale('ko')
  fake = new FakeApi()
  fake.certs = [
    summary(),
    summary({ id: 'c2', owner: '김철수', state: 'renewable', daysLeft: 12, kind: 'general', notAfter: '2026-12-08T14:59:59.000Z', issuerName: 'KICA' }),
    summary({ id: 'c3', owner: '', subjectDn: '', serialHex: '', notAfter: '', notBefore: '', issuerName: 'SignKorea', kind: 'other', policyOid: undefined, state: 'damaged', damaged: 'signCert.der is corrupt', path: '/home/u/NPKI/SignKorea/USER/broken' }),
  ]
  fake.details.c2 = details({ id: 'c2', owner: '김철수', state: 'renewable', daysLeft: 12 })
  setApi(fake)
})

describe('the certificate list screen', () => {
  it('renders one row per certificate with the bank-window columns', async () => {
    const w = await mountApp()
    const rows = w.findAll('[data-testid="cert-row"]')
    expect(rows).toHaveLength(3)
    const first = rows[0]!
    expect(first.get('[data-testid="kind-badge"]').text()).toBe('은행·신용카드·보험용')
    expect(first.get('[data-testid="owner"]').text()).toBe('HKD')
    expect(first.get('[data-testid="issuer"]').text()).toBe('yessign')
    expect(first.get('[data-testid="state-badge"]').text()).toContain('만료')
    expect(first.get('[data-testid="location"]').text()).toBe('하드디스크')
    expect(rows[1]!.get('[data-testid="state-badge"]').text()).toContain('12일 남음')
    expect(rows[2]!.get('[data-testid="damaged-reason"]').text()).toContain('손상')
    expect(rows[2]!.get('[data-testid="owner"]').text()).toContain('broken')
    expect(w.get('table').attributes('aria-label')).toBe('공동인증서 목록')
    w.unmount()
  })

  it('moves with the arrow keys and opens details with Enter', async () => {
    const w = await mountApp()
    const rows = () => w.findAll('[data-testid="cert-row"]')
    expect(rows()[0]!.attributes('tabindex')).toBe('0')
    await rows()[0]!.trigger('keydown', { key: 'ArrowDown' })
    await flushPromises()
    expect(rows()[1]!.attributes('aria-selected')).toBe('true')
    expect(rows()[1]!.attributes('tabindex')).toBe('0')
    expect(rows()[0]!.attributes('tabindex')).toBe('-1')
    expect(document.activeElement).toBe(rows()[1]!.element)
    await rows()[1]!.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'certs.details', req: { id: 'c2' } })
    // The details panel loads on demand, on its first opening.
    await loaded(w, '[data-testid="d-serial"]')
    const panel = w.get('[data-testid="details"]')
    expect(panel.attributes('role')).toBe('dialog')
    expect(panel.get('[data-testid="d-serial"]').text()).toBe('45 9c 75')
    expect(panel.get('[data-testid="d-policy"]').text()).toContain('은행·신용카드·보험용')
    expect(panel.get('[data-testid="d-key"]').text()).toBe('RSA 2048비트')
    expect(panel.get('[data-testid="d-sha256-value"]').text()).toMatch(/^31:B5:9A:12:/)
    // keys.* and the storage actions (copy, move, delete, export) are all enabled.
    expect(panel.findAll('[data-testid^="action-"]')).toHaveLength(6)
    for (const a of ['checkPassword', 'verifyIdentity', 'exportPfx', 'copyTo', 'move', 'delete']) expect(panel.get(`[data-testid="action-${a}"]`).attributes('disabled')).toBeUndefined()
    await panel.trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(w.find('[data-testid="details"]').exists()).toBe(false)
    w.unmount()
  })

  it('shows an unknown policy as 기타 with its OID', async () => {
    fake.details.c1 = details({ policyOid: '1.2.3.4', policyName: undefined, kind: 'other' })
    const w = await mountApp()
    await w.findAll('[data-testid="cert-row"]')[0]!.trigger('click')
    await loaded(w, '[data-testid="d-policy"]')
    expect(w.get('[data-testid="d-policy"]').text()).toBe('기타 (1.2.3.4)')
    w.unmount()
  })

  it('hides expired certificates and says how many are hidden', async () => {
    const w = await mountApp()
    await w.get('[data-testid="hide-expired"]').setValue(true)
    await flushPromises()
    expect(w.findAll('[data-testid="cert-row"]')).toHaveLength(2)
    expect(w.get('[data-testid="hidden-note"]').text()).toContain('1개')
    expect(fake.settings.hideExpired).toBe(true)
    w.unmount()
  })

  it('shows the filtered empty state when every certificate is expired and hidden', async () => {
    fake.certs = [summary()]
    fake.settings.hideExpired = true
    const w = await mountApp()
    expect(w.findAll('[data-testid="cert-row"]')).toHaveLength(0)
    const empty = w.get('[data-testid="empty-state"]')
    expect(empty.attributes('data-filtered')).toBe('true')
    await empty.get('[data-testid="show-all"]').trigger('click')
    await flushPromises()
    expect(w.findAll('[data-testid="cert-row"]')).toHaveLength(1)
    w.unmount()
  })

  it('lists the searched roots when nothing was found', async () => {
    fake.certs = []
    fake.roots = [
      { path: '/home/u/NPKI', source: 'os', location: 'pc', exists: false, found: 0 },
      { path: '/media/usb/NPKI', source: 'drive', location: 'usb', exists: true, found: 0 },
    ]
    const w = await mountApp()
    const items = w.findAll('[data-testid="searched-roots"] li')
    expect(items.map((i) => i.get('code').text())).toEqual(['/home/u/NPKI', '/media/usb/NPKI'])
    expect(items[0]!.text()).toContain('폴더 없음')
    expect(items[1]!.text()).toContain('폴더 있음')
    w.unmount()
  })

  it('shows a translated error when the list cannot be read', async () => {
    fake.overrides['certs.list'] = () => {
      throw { code: 'IO', message: 'permission denied' }
    }
    const w = await mountApp()
    expect(w.get('[data-testid="error"]').text()).toContain('파일을 읽거나 쓰지 못했습니다')
    w.unmount()
  })

  it('switches language from the header, persists it, and refreshes on certs-changed', async () => {
    const w = await mountApp()
    await w.get('[data-testid="lang-en"]').trigger('click')
    await flushPromises()
    expect(fake.settings.language).toBe('en')
    expect(w.get('h1').text()).toBe('Certificates')
    expect(w.get('[data-testid="cert-row"] [data-testid="kind-badge"]').text()).toBe('Banking/Card/Insurance')
    const before = fake.count('certs.list')
    fake.emit({ type: 'certs-changed' })
    await flushPromises()
    expect(fake.count('certs.list')).toBe(before + 1)
    w.unmount()
  })

  it('opens phone copy, the wizards and the settings screen', async () => {
    const w = await mountApp()
    await w.get('[data-testid="nav-phone"]').trigger('click')
    await loaded(w, '[data-testid="phone-copy"]')
    expect(w.find('[data-testid="phone-copy"]').exists()).toBe(true)
    expect(w.get('[data-testid="nav-phone"]').attributes('aria-current')).toBe('page')
    // The certificate wizards are real screens now (tested end to end in tests/e2e/wizard-*).
    for (const v of ['issue', 'reissue', 'renew', 'register'] as const) {
      await w.get(`[data-testid="nav-${v}"]`).trigger('click')
      await loaded(w, `[data-testid="wizard-${v}"]`)
      expect(w.find(`[data-testid="wizard-${v}"]`).exists()).toBe(true)
    }
    await w.get('[data-testid="nav-settings"]').trigger('click')
    await loaded(w, '[data-testid="app-version"]')
    expect(w.get('[data-testid="app-version"]').text()).toBe('9.9.9')
    await w.get('[data-testid="new-root"]').setValue('/mnt/NPKI')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(fake.settings.extraRoots).toEqual(['/mnt/NPKI'])
    expect(w.get('[data-testid="extra-roots"]').text()).toContain('/mnt/NPKI')
    await w.get('[data-testid="center-url"]').setValue('https://ca.example.test')
    await w.findAll('form')[1]!.trigger('submit')
    await flushPromises()
    // A new center address is saved only after the confirmation that says what goes there.
    expect(fake.settings.centerUrl).toBe('')
    expect(w.get('[data-testid="center-confirm"]').text()).toContain('https://ca.example.test')
    await w.get('[data-testid="center-confirm-yes"]').trigger('click')
    await flushPromises()
    expect(fake.settings.centerUrl).toBe('https://ca.example.test')
    w.unmount()
  })
})
