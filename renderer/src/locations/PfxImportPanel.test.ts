import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StorageLocation } from '../../../shared/contract/storage'
import { setApi } from '../api/client'
import { i18n, setLocale } from '../i18n/index'
import { FakeApi } from '../testing/fake-api'
import PfxImportPanel from './PfxImportPanel.vue'

let fake: FakeApi
let pinia: Pinia
const HOME: StorageLocation = { id: 'pc:/home/u/NPKI', kind: 'pc', label: '/home/u/NPKI', path: '/home/u/NPKI', exists: true, writable: true }

beforeEach(() => {
  setLocale('ko')
  pinia = createPinia()
  setActivePinia(pinia)
  fake = new FakeApi()
  fake.overrides['storage.locations'] = () => ({ locations: [HOME] })
  setApi(fake)
})

/** A 'pfx.import' main has not answered yet: the test settles it (or a cancel rejects it). */
function pendingImport() {
  const box: { opId?: string; resolve?: (v: { folder: string; certId: string; outcome: 'created'; hasRandomNum: boolean }) => void; reject?: (e: unknown) => void } = {}
  fake.overrides['pfx.import'] = (req) => {
    box.opId = req.opId
    return new Promise((resolve, reject) => {
      box.resolve = resolve
      box.reject = reject
    })
  }
  fake.overrides['pfx.cancel'] = () => {
    box.reject?.({ code: 'CANCELLED', message: 'cancelled' })
    return { cancelled: true }
  }
  return box
}

async function startImport() {
  const w = mount(PfxImportPanel, { global: { plugins: [i18n, pinia] }, attachTo: document.body })
  await flushPromises()
  await w.get('[data-testid="pfx-path"]').setValue('/home/u/slow.pfx')
  await w.get('[data-testid="pfx-import-password"]').setValue('pfx-password-1!')
  await w.get('form').trigger('submit')
  await flushPromises()
  return w
}

describe('PfxImportPanel: progress and cancel of the key derivation', () => {
  it('shows the key derivation progress of its own opId, in Korean and English, and never steps back', async () => {
    const box = pendingImport()
    const w = await startImport()
    expect(box.opId).toMatch(/^pfx-/)
    expect(w.get('[data-testid="pfx-progress"]').text()).toContain('키 해독 중… 0%')
    fake.emit({ type: 'progress', progress: { opId: box.opId!, stage: 'pfx-kdf', fraction: 0.4 } })
    await flushPromises()
    expect(w.get('[data-testid="pfx-progress"]').text()).toContain('키 해독 중… 40%')
    expect(w.get('[data-testid="pfx-progress-bar"]').attributes('value')).toBe('40')
    // Another operation's progress and a dip (more bags counted) leave the bar alone.
    fake.emit({ type: 'progress', progress: { opId: 'someone-else', stage: 'keygen', fraction: 0.9 } })
    fake.emit({ type: 'progress', progress: { opId: box.opId!, stage: 'pfx-kdf', fraction: 0.2 } })
    await flushPromises()
    expect(w.get('[data-testid="pfx-progress"]').text()).toContain('40%')
    expect(w.get('[data-testid="pfx-import"]').attributes('disabled')).toBeDefined()
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-testid="pfx-progress"]').text()).toContain('Decrypting the key… 40%')
    box.resolve!({ folder: '/home/u/NPKI/X/USER/cn=a', certId: 'a', outcome: 'created', hasRandomNum: true })
    await flushPromises()
    expect(w.find('[data-testid="pfx-progress"]').exists()).toBe(false)
    expect(w.find('[data-testid="pfx-cancelled"]').exists()).toBe(false)
    w.unmount()
  })

  it('취소 stops the import in main under the same opId and returns the panel to idle saying 취소했습니다', async () => {
    const box = pendingImport()
    const w = await startImport()
    await w.get('[data-testid="pfx-cancel"]').trigger('click')
    await flushPromises()
    const cancels = fake.calls.filter((c) => c.name === 'pfx.cancel')
    expect(cancels).toEqual([{ name: 'pfx.cancel', req: { opId: box.opId } }])
    // Only the PFX area's cancel: an enrollment's cancel is a different call.
    expect(fake.calls.some((c) => c.name === 'enroll.cancel')).toBe(false)
    expect(w.find('[data-testid="pfx-progress"]').exists()).toBe(false)
    // The CANCELLED answer of the aborted import is not shown as an error.
    expect(w.find('[data-testid="error"]').exists()).toBe(false)
    expect(w.get('[data-testid="pfx-cancelled"]').text()).toContain('취소했습니다')
    expect(w.get('[data-testid="pfx-import"]').attributes('disabled')).toBeUndefined()
    // A late progress event of the cancelled import does not bring the bar back.
    fake.emit({ type: 'progress', progress: { opId: box.opId!, stage: 'pfx-kdf', fraction: 0.6 } })
    await flushPromises()
    expect(w.find('[data-testid="pfx-progress"]').exists()).toBe(false)
    w.unmount()
  })
})
