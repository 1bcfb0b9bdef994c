import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { i18n } from '../i18n/index'
import { summary } from '../testing/fake-api'
import CertTable from './CertTable.vue'

describe('a long certificate list', () => {
  const certs = Array.from({ length: 500 }, (_, i) => summary({ id: `c${i}`, owner: `user${i}` }))

  it('paints its first rows at once, then every row', async () => {
    const w = mount(CertTable, { props: { certs, selectedId: null }, global: { plugins: [i18n] }, attachTo: document.body })
    const first = w.findAll('[data-testid="cert-row"]').length
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThan(certs.length)
    await vi.waitFor(async () => {
      await flushPromises()
      expect(w.findAll('[data-testid="cert-row"]')).toHaveLength(certs.length)
    }, { timeout: 30_000, interval: 20 })
    w.unmount()
  })

  it('renders the row the keyboard moves to even before the chunks arrive', async () => {
    const w = mount(CertTable, { props: { certs, selectedId: null }, global: { plugins: [i18n] }, attachTo: document.body })
    await w.findAll('[data-testid="cert-row"]')[0]!.trigger('keydown', { key: 'End' })
    await flushPromises()
    expect(w.emitted('select')?.at(-1)).toEqual(['c499'])
    expect(w.find('tr[data-index="499"]').exists()).toBe(true)
    w.unmount()
  })
})
