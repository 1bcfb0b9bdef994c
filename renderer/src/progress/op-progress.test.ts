import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { CallName } from '../../../shared/contract'
import { PFX_EXPORT_WRITE_FRACTION } from '../../../shared/contract/progress'
import type { StorageLocation } from '../../../shared/contract/storage'
import { setApi } from '../api/client'
import PasswordPanel from '../components/PasswordPanel.vue'
import { i18n, setLocale } from '../i18n/index'
import CertActions from '../locations/CertActions.vue'
import TrashSection from '../locations/TrashSection.vue'
import { details, FakeApi } from '../testing/fake-api'

let fake: FakeApi
let pinia: Pinia
const global = () => ({ plugins: [i18n, pinia] })
const HOME: StorageLocation = { id: 'pc:/home/u/NPKI', kind: 'pc', label: '/home/u/NPKI', path: '/home/u/NPKI', exists: true, writable: true }
const OTHER: StorageLocation = { id: 'pc:/data/NPKI', kind: 'pc', label: '/data/NPKI', path: '/data/NPKI', exists: false, writable: true }
const CANCEL_CALLS = ['pfx.cancel', 'storage.cancel', 'keys.cancel', 'enroll.cancel'] as const

beforeEach(() => {
  setLocale('ko')
  pinia = createPinia()
  setActivePinia(pinia)
  fake = new FakeApi()
  fake.overrides['storage.locations'] = () => ({ locations: [HOME, OTHER] })
  setApi(fake)
})

/** A long call main has not answered yet: the test reports its stages and settles it; its area's cancel rejects it CANCELLED. */
function pending(name: CallName, cancelCall: (typeof CANCEL_CALLS)[number]) {
  const box: { opId?: string; resolve?: (v: unknown) => void; reject?: (e: unknown) => void } = {}
  fake.overrides[name] = ((req: { opId?: string }) => {
    box.opId = req.opId
    return new Promise((resolve, reject) => {
      box.resolve = resolve
      box.reject = reject
    })
  }) as never
  fake.overrides[cancelCall] = () => {
    box.reject?.({ code: 'CANCELLED', message: 'cancelled' })
    return { cancelled: true }
  }
  return {
    box,
    stage: async (stage: string, fraction: number) => {
      fake.emit({ type: 'progress', progress: { opId: box.opId!, stage, fraction } })
      await flushPromises()
    },
  }
}

/** Only the area's own cancel went out, once, with the running opId. */
function expectOnlyCancel(call: (typeof CANCEL_CALLS)[number], opId: string | undefined) {
  expect(opId).toBeTruthy()
  expect(fake.calls.filter((c) => c.name === call)).toEqual([{ name: call, req: { opId } }])
  for (const other of CANCEL_CALLS) if (other !== call) expect(fake.count(other), other).toBe(0)
}

async function startExport(): Promise<VueWrapper> {
  const w = mount(CertActions, { props: { details: details() }, global: global() })
  await w.get('[data-testid="action-exportPfx"]').trigger('click')
  await w.get('[data-testid="pfx-password"]').setValue(fake.password)
  await w.get('[data-testid="pfx-out"]').setValue('/home/u/cert.pfx')
  await w.get('form').trigger('submit')
  await w.get('[data-testid="pfx-run"]').trigger('click')
  await flushPromises()
  return w
}

async function startCopyMove(mode: 'copyTo' | 'move'): Promise<VueWrapper> {
  const w = mount(CertActions, { props: { details: details() }, global: global() })
  await w.get(`[data-testid="action-${mode}"]`).trigger('click')
  await flushPromises()
  await w.get('[data-testid="cm-password"]').setValue(fake.password)
  await w.get('form').trigger('submit')
  await w.get('[data-testid="cm-run"]').trigger('click')
  await flushPromises()
  return w
}

describe('PFX export: stages as progress, 취소 through pfx.cancel', () => {
  it('sends an opId, shows the share done in Korean and English, and 취소 ends it with nothing made', async () => {
    const { box, stage } = pending('pfx.export', 'pfx.cancel')
    const w = await startExport()
    expect(box.opId).toMatch(/^pfx-export-/)
    expect(w.get('[data-testid="export-progress"]').text()).toContain('PFX 파일을 만드는 중… 0%')
    await stage('pfx-export', 0.55)
    expect(w.get('[data-testid="export-progress"]').text()).toContain('PFX 파일을 만드는 중… 55%')
    expect(w.get('[data-testid="export-progress-bar"]').attributes('value')).toBe('55')
    // Another operation's events leave the bar alone.
    fake.emit({ type: 'progress', progress: { opId: 'someone-else', stage: 'pfx-export', fraction: 0.99 } })
    await flushPromises()
    expect(w.get('[data-testid="export-progress-bar"]').attributes('value')).toBe('55')
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-testid="export-progress"]').text()).toContain('Making the PFX file… 55%')
    setLocale('ko')
    await w.get('[data-testid="export-cancel"]').trigger('click')
    await flushPromises()
    expectOnlyCancel('pfx.cancel', box.opId)
    expect(w.find('[data-testid="export-progress"]').exists()).toBe(false)
    expect(w.find('[data-testid="error"]').exists()).toBe(false)
    expect(w.find('[data-testid="pfx-done"]').exists()).toBe(false)
    expect(w.get('[data-testid="export-cancelled"]').text()).toBe('취소했습니다. PFX 파일을 만들지 않았습니다.')
  })

  it('stops offering 취소 once main writes the file, and shows the file made', async () => {
    const { box, stage } = pending('pfx.export', 'pfx.cancel')
    const w = await startExport()
    // 취소 is offered right up to the fraction main reports the write at (one constant for both sides).
    await stage('pfx-export', PFX_EXPORT_WRITE_FRACTION - 0.01)
    expect(w.find('[data-testid="export-cancel"]').exists()).toBe(true)
    await stage('pfx-export', PFX_EXPORT_WRITE_FRACTION)
    expect(w.find('[data-testid="export-cancel"]').exists()).toBe(false)
    expect(w.get('[data-testid="export-no-cancel"]').text()).toContain('취소할 수 없습니다')
    box.resolve!({ path: '/home/u/cert.pfx', profile: 'modern', hasRandomNum: true })
    await flushPromises()
    expect(w.find('[data-testid="export-progress"]').exists()).toBe(false)
    expect(w.get('[data-testid="pfx-done"]').text()).toContain('cert.pfx')
    expect(fake.count('pfx.cancel')).toBe(0)
  })
})

describe('copy and move: stages as progress, 취소 through storage.cancel', () => {
  it('a copy shows each stage by name and share done, and 취소 before the write changes nothing', async () => {
    const { box, stage } = pending('storage.copy', 'storage.cancel')
    const w = await startCopyMove('copyTo')
    expect(box.opId).toMatch(/^copy-/)
    expect(w.get('[data-testid="cm-progress"]').text()).toContain('시작하는 중… 0%')
    await stage('read', 0)
    expect(w.get('[data-testid="cm-progress"]').text()).toContain('인증서를 읽는 중… 0%')
    await stage('open', 0.25)
    expect(w.get('[data-testid="cm-progress"]').text()).toContain('비밀번호로 개인키를 여는 중… 25%')
    await stage('check', 0.5)
    expect(w.get('[data-testid="cm-progress"]').attributes('data-stage')).toBe('check')
    expect(w.get('[data-testid="cm-progress-bar"]').attributes('value')).toBe('50')
    await w.get('[data-testid="cm-cancel"]').trigger('click')
    await flushPromises()
    expectOnlyCancel('storage.cancel', box.opId)
    expect(w.find('[data-testid="error"]').exists()).toBe(false)
    expect(w.find('[data-testid="cm-result"]').exists()).toBe(false)
    expect(w.get('[data-testid="cm-cancelled"]').text()).toBe('취소했습니다. 아무것도 바뀌지 않았습니다.')
  })

  it('a move past its write offers no 취소 and completes, in English too', async () => {
    const { box, stage } = pending('storage.move', 'storage.cancel')
    const w = await startCopyMove('move')
    expect(box.opId).toMatch(/^move-/)
    await stage('write', 0.5)
    await stage('verify', 0.66)
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-testid="cm-progress"]').text()).toContain('Checking the saved certificate… 66%')
    expect(w.find('[data-testid="cm-cancel"]').exists()).toBe(false)
    expect(w.get('[data-testid="cm-no-cancel"]').text()).toContain('can no longer be cancelled')
    box.resolve!({ path: '/data/NPKI/yessign/USER/cn=HKD', outcome: 'created' })
    await flushPromises()
    expect(w.find('[data-testid="cm-progress"]').exists()).toBe(false)
    expect(w.get('[data-testid="cm-result"]').text()).toContain('The certificate was moved')
  })
})

describe('delete and restore: stages as progress, 취소 through storage.cancel', () => {
  it('a delete sends an opId and 취소 before the trash stage keeps the certificate', async () => {
    const { box, stage } = pending('storage.delete', 'storage.cancel')
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-delete"]').trigger('click')
    await w.get('[data-testid="del-run"]').trigger('click')
    await flushPromises()
    expect(box.opId).toMatch(/^delete-/)
    await stage('check', 0)
    expect(w.get('[data-testid="del-progress"]').text()).toContain('확인하는 중… 0%')
    await w.get('[data-testid="del-cancel"]').trigger('click')
    await flushPromises()
    expectOnlyCancel('storage.cancel', box.opId)
    expect(w.get('[data-testid="del-cancelled"]').text()).toBe('취소했습니다. 아무것도 바뀌지 않았습니다.')
    expect(w.find('[data-testid="error"]').exists()).toBe(false)
  })

  it('a restore sends an opId, shows its stage, and 취소 goes to storage.cancel', async () => {
    const entry = { id: '0123456789abcdef', originalPath: '/home/u/NPKI/yessign/USER/cn=HKD', deletedAt: '2026-11-20T01:02:03.000Z', expiresAt: '2026-12-20T01:02:03.000Z', owner: 'HKD', files: ['signCert.der'] }
    fake.overrides['storage.trashList'] = () => ({ entries: [entry] })
    const { box } = pending('storage.trashRestore', 'storage.cancel')
    const w = mount(TrashSection, { global: global() })
    await flushPromises()
    await w.get('[data-testid="trash-restore"]').trigger('click')
    await flushPromises()
    expect(box.opId).toMatch(/^restore-/)
    expect(w.get('[data-testid="trash-progress"]').text()).toContain('시작하는 중… 0%')
    await w.get('[data-testid="trash-cancel"]').trigger('click')
    await flushPromises()
    expectOnlyCancel('storage.cancel', box.opId)
    expect(w.get('[data-testid="trash-cancelled"]').text()).toBe('취소했습니다. 아무것도 바뀌지 않았습니다.')
    // Once main reports the restore itself, 취소 is not offered.
    const next = pending('storage.trashRestore', 'storage.cancel')
    await w.get('[data-testid="trash-restore"]').trigger('click')
    await flushPromises()
    await next.stage('restore', 0)
    expect(w.get('[data-testid="trash-progress"]').text()).toContain('복원하는 중… 0%')
    expect(w.find('[data-testid="trash-cancel"]').exists()).toBe(false)
  })
})

describe('password change: stages as progress, 취소 through keys.cancel', () => {
  it('sends an opId, shows the encryption stage, and 취소 before the write keeps the old password', async () => {
    const { box, stage } = pending('keys.changePassword', 'keys.cancel')
    // Main answers the cancel at once; the change's own answer comes after it.
    fake.overrides['keys.cancel'] = () => ({ cancelled: true })
    const before = fake.password
    const w = mount(PasswordPanel, { props: { certId: 'c1' }, global: { plugins: [i18n] } })
    await w.get('[data-testid="pw-current"]').setValue(fake.password)
    await w.get('[data-testid="pw-new"]').setValue('Zq9!x7k2m#')
    await w.get('[data-testid="pw-again"]').setValue('Zq9!x7k2m#')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(box.opId).toMatch(/^password-/)
    await stage('encrypt', 0.5)
    expect(w.get('[data-testid="pw-progress"]').text()).toContain('새 비밀번호로 개인키를 암호화하는 중… 50%')
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-testid="pw-progress"]').text()).toContain('Encrypting the private key under the new password… 50%')
    setLocale('ko')
    await w.get('[data-testid="pw-cancel"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="pw-cancel"]').text()).toBe('취소하는 중…')
    box.reject!({ code: 'CANCELLED', message: 'cancelled' })
    await flushPromises()
    expectOnlyCancel('keys.cancel', box.opId)
    expect(w.get('[data-testid="pw-cancelled"]').text()).toBe('취소했습니다. 아무것도 바뀌지 않았습니다.')
    expect(w.find('[data-testid="error"]').exists()).toBe(false)
    expect(fake.password).toBe(before)
  })

  it('offers no 취소 once the key files are being written', async () => {
    const { box, stage } = pending('keys.changePassword', 'keys.cancel')
    const w = mount(PasswordPanel, { props: { certId: 'c1' }, global: { plugins: [i18n] } })
    await w.get('[data-testid="pw-current"]').setValue(fake.password)
    await w.get('[data-testid="pw-new"]').setValue('Zq9!x7k2m#')
    await w.get('[data-testid="pw-again"]').setValue('Zq9!x7k2m#')
    await w.get('form').trigger('submit')
    await flushPromises()
    await stage('write', 0.75)
    expect(w.get('[data-testid="pw-progress"]').text()).toContain('저장하는 중… 75%')
    expect(w.find('[data-testid="pw-cancel"]').exists()).toBe(false)
    box.resolve!({ ok: true, km: 'absent' })
    await flushPromises()
    expect(w.get('[data-testid="pw-result"]').text()).toContain('비밀번호를 변경했습니다')
  })
})
