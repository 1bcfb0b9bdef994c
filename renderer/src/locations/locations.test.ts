import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StorageLocation } from '../../../shared/contract/storage'
import type { ErrorInfo } from '../../../shared/errors'
import { ApiError, setApi } from '../api/client'
import { i18n, setLocale } from '../i18n/index'
import { details, FakeApi, summary } from '../testing/fake-api'
import CertActions from './CertActions.vue'
import { storageErrorText } from './error-text'
import { isAbsolutePath } from './paths'
import { useCertsStore } from '../stores/certs'
import { useLocationsStore } from './store'
import TokenPanel from './TokenPanel.vue'
import TrashSection from './TrashSection.vue'

let fake: FakeApi
let pinia: Pinia
const global = () => ({ plugins: [i18n, pinia] })
const t = (k: string, p?: Record<string, unknown>) => i18n.global.t(k, p ?? {})

const HOME: StorageLocation = { id: 'pc:/home/u/NPKI', kind: 'pc', label: '/home/u/NPKI', path: '/home/u/NPKI', exists: true, writable: true }
const OTHER: StorageLocation = { id: 'pc:/data/NPKI', kind: 'pc', label: '/data/NPKI', path: '/data/NPKI', exists: false, writable: true }
const RO_USB: StorageLocation = {
  id: 'usb:sdb1',
  kind: 'usb',
  label: 'CDROM',
  path: '/media/cd/NPKI',
  exists: true,
  writable: false,
  drive: { id: 'sdb1', mountPoint: '/media/cd', readOnly: true, kind: 'optical' },
}

beforeEach(() => {
  setLocale('ko')
  pinia = createPinia()
  setActivePinia(pinia)
  fake = new FakeApi()
  fake.overrides['storage.locations'] = () => ({ locations: [HOME, OTHER, RO_USB] })
  setApi(fake)
})

const fail = (code: ErrorInfo['code'], params?: ErrorInfo['params']): ErrorInfo => ({ code, message: 'x', ...(params ? { params } : {}) })

describe('storageErrorText', () => {
  it('says what went wrong in plain words from the reason main gives', () => {
    const say = (code: ErrorInfo['code'], params?: ErrorInfo['params']) => storageErrorText(t, new ApiError(fail(code, params)))
    expect(say('IO', { reason: 'disk-full', side: 'destination' })).toContain('저장 공간이 부족합니다')
    expect(say('IO', { reason: 'read-only' })).toContain('읽기 전용')
    expect(say('IO', { reason: 'device' })).toContain('이동식디스크가 빠졌거나')
    expect(say('TOKEN', { reason: 'token-removed' })).toContain('보안토큰을 찾지 못했습니다')
    expect(say('TOKEN', { reason: 'pin-locked' })).toContain('PIN이 잠겼습니다')
    expect(say('TOKEN', { reason: 'pin-locked', source: 'app' })).toContain('이 앱이 더 시도하지 않습니다')
    expect(say('TOKEN', { reason: 'pin-incorrect', attemptsLeft: 2 })).toContain('남은 시도 횟수는 2번')
    expect(say('TOKEN', { reason: 'pin-incorrect' })).toBe('PIN이 맞지 않습니다. 다시 입력해 주세요.')
    expect(say('WRONG_PASSWORD')).toBe('인증서 비밀번호가 맞지 않습니다. 다시 입력해 주세요.')
    expect(say('IO', { reason: 'something-new' })).toBe(t('errors.IO'))
  })

  it('knows absolute paths on every OS', () => {
    expect(isAbsolutePath('/home/u/a.pfx')).toBe(true)
    expect(isAbsolutePath('C:\\Users\\u\\a.pfx')).toBe(true)
    expect(isAbsolutePath('a.pfx')).toBe(false)
    expect(isAbsolutePath('./a.pfx')).toBe(false)
  })
})

describe('location tabs store', () => {
  it('filters the list by the chosen location and counts each', () => {
    const loc = useLocationsStore()
    const list = [summary({ id: 'a', location: 'pc' }), summary({ id: 'b', location: 'usb' }), summary({ id: 'c', location: 'pc' })]
    expect(loc.filter(list)).toHaveLength(3)
    loc.setTab('usb')
    expect(loc.filter(list).map((c) => c.id)).toEqual(['b'])
    expect(loc.count(list, 'pc')).toBe(2)
    expect(loc.count(list, 'all')).toBe(3)
  })
})

describe('CertActions', () => {
  it('copies to another root after the password and a confirmation, and asks before overwriting', async () => {
    let n = 0
    fake.overrides['storage.copy'] = (req) => {
      n++
      if (n === 1) throw fail('CONFLICT', { reason: 'different-certificate' })
      return { path: `${(req as { toRoot: string }).toRoot}/yessign/USER/cn=HKD`, outcome: 'replaced' }
    }
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-copyTo"]').trigger('click')
    await flushPromises()
    const dests = w.findAll('[data-testid="dest"]')
    // The certificate's own root is not offered; the read-only drive is shown but cannot be chosen.
    expect(dests.map((d) => d.attributes('data-path'))).toEqual(['/data/NPKI', '/media/cd/NPKI'])
    expect(dests[1]!.get('input').attributes('disabled')).toBeDefined()
    expect(dests[1]!.text()).toContain('읽기 전용')
    expect(w.get('[data-testid="cm-next"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="cm-password"]').setValue(fake.password)
    await w.get('form').trigger('submit')
    expect(w.get('[data-testid="cm-confirm"]').text()).toContain('HKD 인증서를 하드디스크 (/data/NPKI)(으)로 복사할까요?')
    await w.get('[data-testid="cm-run"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="cm-overwrite"]').text()).toContain('다른 인증서가 있습니다')
    await w.get('[data-testid="cm-overwrite-yes"]').trigger('click')
    await flushPromises()
    const copies = fake.calls.filter((c) => c.name === 'storage.copy').map((c) => c.req)
    expect(copies).toEqual([
      { opId: expect.stringMatching(/^copy-/), certId: 'c1', password: fake.password, toRoot: '/data/NPKI' },
      { opId: expect.stringMatching(/^copy-/), certId: 'c1', password: fake.password, toRoot: '/data/NPKI', overwrite: true },
    ])
    expect(w.get('[data-testid="cm-result"]').text()).toContain('바꿔 복사했습니다')
    expect(useLocationsStore().notice?.key).toBe('locations.notice.replaced')
  })

  it('shows a plain error for a full disk and keeps the form', async () => {
    fake.overrides['storage.move'] = () => {
      throw fail('IO', { reason: 'disk-full', side: 'destination' })
    }
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-move"]').trigger('click')
    await flushPromises()
    await w.get('[data-testid="cm-password"]').setValue('pw')
    await w.get('form').trigger('submit')
    expect(w.get('[data-testid="cm-confirm"]').text()).toContain('원래 위치에서는 지워집니다')
    await w.get('[data-testid="cm-run"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="error"]').text()).toContain('저장 공간이 부족합니다')
    expect(w.find('[data-testid="cm-password"]').exists()).toBe(true)
  })

  it('says the drive was removed when the chosen drive is gone', async () => {
    const usb: StorageLocation = { ...RO_USB, id: 'usb:sdc1', label: 'STICK', path: '/media/stick/NPKI', writable: true, drive: { id: 'sdc1', mountPoint: '/media/stick', readOnly: false, kind: 'usb-stick' } }
    fake.overrides['storage.locations'] = () => ({ locations: [HOME, usb] })
    fake.overrides['storage.copy'] = () => {
      throw fail('NOT_FOUND')
    }
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-copyTo"]').trigger('click')
    await flushPromises()
    await w.get('[data-testid="cm-password"]').setValue('pw')
    await w.get('form').trigger('submit')
    await w.get('[data-testid="cm-run"]').trigger('click')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'storage.copy', req: { opId: expect.stringMatching(/^copy-/), certId: 'c1', password: 'pw', toDrive: 'sdc1' } })
    expect(w.get('[data-testid="error"]').text()).toContain('이동식디스크가 빠졌거나')
  })

  it('deletes to the trash after saying it is kept for 30 days', async () => {
    fake.overrides['storage.delete'] = () => ({ trashId: '0123456789abcdef', expiresAt: '2026-12-26T10:00:00.000Z' })
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-delete"]').trigger('click')
    expect(w.get('[data-testid="delete-panel"]').text()).toContain('30일 동안')
    expect(fake.count('storage.delete')).toBe(0)
    await w.get('[data-testid="del-run"]').trigger('click')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'storage.delete', req: { opId: expect.stringMatching(/^delete-/), certId: 'c1' } })
    const n = useLocationsStore().notice
    expect(n?.key).toBe('locations.notice.deleted')
    expect(n?.params?.date).toMatch(/^2026-12-2\d$/)
  })

  it('exports a PFX only to an absolute path, with the chosen profile', async () => {
    fake.overrides['pfx.export'] = (req) => ({ path: req.outPath, profile: req.profile, hasRandomNum: true })
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-exportPfx"]').trigger('click')
    await w.get('[data-testid="pfx-password"]').setValue(fake.password)
    await w.get('[data-testid="pfx-out"]').setValue('cert.pfx')
    expect(w.find('[data-testid="pfx-out-bad"]').exists()).toBe(true)
    expect(w.get('[data-testid="pfx-next"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="pfx-out"]').setValue('/home/u/cert.pfx')
    await w.get('[data-testid="pfx-compatible"]').setValue(true)
    await w.get('form').trigger('submit')
    expect(w.get('[data-testid="pfx-confirm"]').text()).toContain('/home/u/cert.pfx')
    await w.get('[data-testid="pfx-run"]').trigger('click')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'pfx.export', req: { opId: expect.stringMatching(/^pfx-export-/), certId: 'c1', password: fake.password, profile: 'compatible', outPath: '/home/u/cert.pfx' } })
    expect(w.get('[data-testid="pfx-done"]').text()).toContain('cert.pfx')
    // The file by name, its whole path as the title: no long path in the notice.
    expect(w.get('[data-testid="pfx-done"] p').attributes('title')).toBe('/home/u/cert.pfx')
  })

  it('security finding 3: a PFX password of its own gets the rule-by-rule feedback and must pass it', async () => {
    fake.overrides['pfx.export'] = (req) => ({ path: req.outPath, profile: req.profile, hasRandomNum: true })
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-exportPfx"]').trigger('click')
    await w.get('[data-testid="pfx-password"]').setValue(fake.password)
    await w.get('[data-testid="pfx-out"]').setValue('/home/u/cert.pfx')
    await w.get('[data-testid="pfx-own"]').setValue(true)
    await w.get('[data-testid="pfx-pfx-password"]').setValue('1')
    await w.get('[data-testid="pfx-pfx-again"]').setValue('1')
    expect(w.get('[data-testid="pw-rule"]').attributes('data-rule')).toBe('length')
    expect(w.get('[data-testid="pfx-next"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="pfx-pfx-password"]').setValue('Pfx#only-2468')
    await w.get('[data-testid="pfx-pfx-again"]').setValue('Pfx#only-2468')
    expect(w.get('[data-testid="pw-rule"]').attributes('data-rule')).toBe('ok')
    expect(w.get('[data-testid="pfx-next"]').attributes('disabled')).toBeUndefined()
  })

  it('security finding 4: an existing file is replaced only after the user confirms', async () => {
    fake.overrides['pfx.export'] = (req) => {
      if (!req.overwrite) throw { code: 'CONFLICT', message: 'cert.pfx already exists', params: { reason: 'file-exists' } } satisfies ErrorInfo
      return { path: req.outPath, profile: req.profile, hasRandomNum: true }
    }
    const w = mount(CertActions, { props: { details: details() }, global: global() })
    await w.get('[data-testid="action-exportPfx"]').trigger('click')
    await w.get('[data-testid="pfx-password"]').setValue(fake.password)
    await w.get('[data-testid="pfx-out"]').setValue('/home/u/cert.pfx')
    await w.get('form').trigger('submit')
    await w.get('[data-testid="pfx-run"]').trigger('click')
    await flushPromises()
    expect(fake.calls.at(-1)?.req).not.toHaveProperty('overwrite')
    expect(w.get('[data-testid="pfx-exists"]').text()).toContain('/home/u/cert.pfx 파일이 이미 있습니다')
    expect(w.find('[data-testid="pfx-done"]').exists()).toBe(false)
    await w.get('[data-testid="pfx-overwrite"]').trigger('click')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'pfx.export', req: { opId: expect.stringMatching(/^pfx-export-/), certId: 'c1', password: fake.password, profile: 'modern', outPath: '/home/u/cert.pfx', overwrite: true } })
    expect(w.get('[data-testid="pfx-done"]').text()).toContain('cert.pfx')
    // The file by name, its whole path as the title: no long path in the notice.
    expect(w.get('[data-testid="pfx-done"] p').attributes('title')).toBe('/home/u/cert.pfx')
  })

  it('security finding 2: a PFX over a limit is named in plain words, with the limit', () => {
    const t = i18n.global.t as (k: string, n?: Record<string, unknown>) => string
    setLocale('ko')
    const err = new ApiError({ code: 'UNSUPPORTED', message: 'x', params: { reason: 'pfx-work-limit', limit: 4_000_000 } })
    expect(storageErrorText(t, err)).toContain('4,000,000')
    expect(storageErrorText(t, new ApiError({ code: 'UNSUPPORTED', message: 'x', params: { reason: 'pfx-iteration-limit', limit: 1_000_000 } }))).toContain('1,000,000회')
    setLocale('en')
    expect(storageErrorText(t, new ApiError({ code: 'UNSUPPORTED', message: 'x', params: { reason: 'pfx-size-limit', limit: 1_048_576 } }))).toContain('1,048,576 bytes')
    setLocale('ko')
  })

  it('offers no action on a damaged certificate', () => {
    const w = mount(CertActions, { props: { details: details({ state: 'damaged', damaged: 'cert-unreadable' }) }, global: global() })
    for (const a of ['copyTo', 'move', 'delete', 'exportPfx']) expect(w.get(`[data-testid="action-${a}"]`).attributes('disabled')).toBeDefined()
  })
})

describe('TrashSection', () => {
  it('lists entries and restores one, asking before overwriting a different certificate', async () => {
    const entry = { id: '0123456789abcdef', originalPath: '/home/u/NPKI/yessign/USER/cn=HKD', deletedAt: '2026-11-20T01:02:03.000Z', expiresAt: '2026-12-20T01:02:03.000Z', owner: 'HKD', files: ['signCert.der'] }
    let entries = [entry]
    fake.overrides['storage.trashList'] = () => ({ entries })
    fake.overrides['storage.trashRestore'] = (req) => {
      if (!req.overwrite) throw fail('CONFLICT', { reason: 'different-certificate' })
      entries = []
      return { path: entry.originalPath }
    }
    const w = mount(TrashSection, { global: global() })
    await flushPromises()
    const row = w.get('[data-testid="trash-entry"]')
    expect(row.text()).toContain('HKD')
    expect(row.text()).toContain('2026-12-20')
    await row.get('[data-testid="trash-restore"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="trash-overwrite"]').text()).toContain('덮어씁니다')
    await w.get('[data-testid="trash-overwrite-yes"]').trigger('click')
    await flushPromises()
    expect(fake.calls.filter((c) => c.name === 'storage.trashRestore').map((c) => c.req)).toEqual([{ opId: expect.stringMatching(/^restore-/), trashId: entry.id }, { opId: expect.stringMatching(/^restore-/), trashId: entry.id, overwrite: true }])
    // Where it came back, in words (issue 16: no raw paths in notices).
    expect(w.get('[data-testid="trash-result"]').text()).toContain('하드디스크 · HKD · yessign')
    expect(w.find('[data-testid="trash-empty"]').exists()).toBe(true)
  })
})

describe('TokenPanel', () => {
  it('with no token found, the PIN dialog still asks main and shows its error', async () => {
    fake.overrides['token.list'] = () => {
      throw fail('TOKEN', { reason: 'token-removed' })
    }
    const w = mount(TokenPanel, { global: global(), attachTo: document.body })
    await useLocationsStore().load()
    await flushPromises()
    expect(w.get('[data-testid="token-none"]').text()).toContain('보안토큰을 찾지 못했습니다')
    await w.get('[data-testid="token-open"]').trigger('click')
    await w.get('[data-testid="pin-input"]').setValue('1234')
    await w.get('[data-testid="pin-dialog"]').trigger('submit')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'token.list', req: { slot: '00', pin: '1234' } })
    expect(w.get('[data-testid="pin-dialog"] [data-testid="error"]').text()).toContain('토큰이 꽂혀 있는지')
    w.unmount()
  })

  it('says beside a token that a renewal on it is unfinished, and drops the notice once the PIN opened it', async () => {
    const tok = (renewalPending: boolean): StorageLocation => ({
      id: 'token:/usr/lib/softhsm/libsofthsm2.so#1a2b',
      kind: 'token',
      label: 'bank-token',
      exists: true,
      writable: true,
      token: { module: '/usr/lib/softhsm/libsofthsm2.so', slot: '1a2b', label: 'bank-token', serial: 's', manufacturer: 'SoftHSM', model: 'v2', pinLocked: false, renewalPending },
    })
    let settled = false
    fake.overrides['storage.locations'] = () => ({ locations: [HOME, tok(!settled)] })
    fake.overrides['token.list'] = () => {
      settled = true
      return { certs: [] }
    }
    const w = mount(TokenPanel, { global: global(), attachTo: document.body })
    await useLocationsStore().load()
    await flushPromises()
    expect(w.get('[data-testid="token-renewal-pending"]').text()).toBe('갱신 마무리 필요: PIN으로 열면 인증센터에 확인해 한 쌍만 남깁니다')
    await w.get('[data-testid="token-open"]').trigger('click')
    await w.get('[data-testid="pin-input"]').setValue('4321')
    await w.get('[data-testid="pin-dialog"]').trigger('submit')
    await flushPromises()
    expect(fake.calls.filter((c) => c.name === 'storage.locations')).toHaveLength(2)
    await w.get('[data-testid="token-close"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="token-renewal-pending"]').exists()).toBe(false)
    w.unmount()
  })

  it('opens a token with its PIN, counts wrong PINs down, lists, deletes and imports', async () => {
    const tok: StorageLocation = {
      id: 'token:/usr/lib/softhsm/libsofthsm2.so#1a2b',
      kind: 'token',
      label: 'bank-token',
      exists: true,
      writable: true,
      token: { module: '/usr/lib/softhsm/libsofthsm2.so', slot: '1a2b', label: 'bank-token', serial: 's', manufacturer: 'SoftHSM', model: 'v2', pinLocked: false },
    }
    fake.overrides['storage.locations'] = () => ({ locations: [HOME, tok] })
    let onToken = [{ idHex: 'ab', label: 'HKD', serialHex: '459c75', owner: 'HKD', subjectDn: 'cn=HKD', issuerName: 'yessign', notAfter: '2020-03-25T14:59:59.000Z', hasPrivateKey: true }]
    fake.overrides['token.list'] = (req) => {
      if (req.pin !== '4321') throw fail('TOKEN', { reason: 'pin-incorrect', attemptsLeft: 2 })
      return { certs: onToken }
    }
    fake.overrides['token.delete'] = () => {
      onToken = []
      return { removed: 2 }
    }
    fake.overrides['token.import'] = () => ({ idHex: 'cd', outcome: 'imported' })
    fake.certs = [summary()]
    const w = mount(TokenPanel, { global: global(), attachTo: document.body })
    await useCertsStore().refresh(false)
    await useLocationsStore().load()
    await flushPromises()
    await w.get('[data-testid="token-open"]').trigger('click')
    await w.get('[data-testid="pin-input"]').setValue('0000')
    await w.get('[data-testid="pin-dialog"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="pin-dialog"] [data-testid="error"]').text()).toContain('남은 시도 횟수는 2번')
    await w.get('[data-testid="pin-input"]').setValue('4321')
    await w.get('[data-testid="pin-dialog"]').trigger('submit')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'token.list', req: { module: tok.token!.module, slot: '1a2b', pin: '4321' } })
    expect(w.find('[data-testid="pin-dialog"]').exists()).toBe(false)
    expect(w.get('[data-testid="token-cert"]').text()).toContain('토큰 안에 있음')
    await w.get('[data-testid="token-remove"]').trigger('click')
    expect(w.get('[data-testid="token-remove-confirm"]').text()).toContain('되살릴 수 없습니다')
    await w.get('[data-testid="token-remove-yes"]').trigger('click')
    await flushPromises()
    expect(fake.calls.find((c) => c.name === 'token.delete')?.req).toEqual({ module: tok.token!.module, slot: '1a2b', pin: '4321', idHex: 'ab' })
    expect(w.find('[data-testid="token-empty"]').exists()).toBe(true)
    expect((w.get('[data-testid="token-import-cert"]').element as HTMLSelectElement).value).toBe('c1')
    await w.get('[data-testid="token-import-password"]').setValue(fake.password)
    await w.get('[data-testid="token-import"]').trigger('submit')
    await flushPromises()
    expect(fake.calls.find((c) => c.name === 'token.import')?.req).toEqual({ module: tok.token!.module, slot: '1a2b', pin: '4321', certId: 'c1', password: fake.password })
    expect(w.get('[data-testid="token-message"]').text()).toBe('토큰에 저장했습니다.')
    w.unmount()
  })
})
