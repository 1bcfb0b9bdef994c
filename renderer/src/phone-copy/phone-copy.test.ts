import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { StorageLocation } from '../../../shared/contract/storage'
import { TRANSFER_THREAT_GIST } from '../../../shared/contract/transfer'
import type { ErrorInfo } from '../../../shared/errors'
import { setApi } from '../api/client'
import { i18n, setLocale } from '../i18n/index'
import { useCertsStore } from '../stores/certs'
import { FakeApi } from '../testing/fake-api'
import { codeDigits, formatCode, formatRemaining } from './code'
import PhoneCopyView from './PhoneCopyView.vue'

const SID = '7d444840-9dc0-11d1-b245-5ffdce74fad2'
const HOME: StorageLocation = { id: 'pc:/home/u/NPKI', kind: 'pc', label: '/home/u/NPKI', path: '/home/u/NPKI', exists: true, writable: true }
// Markup a compromised main could send: shown as an image, its script never reaches the page.
const QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>window.pwned=1</script><rect width="1" height="1"/></svg>'

let fake: FakeApi
let pinia: Pinia

beforeEach(() => {
  setLocale('ko')
  pinia = createPinia()
  setActivePinia(pinia)
  fake = new FakeApi()
  fake.overrides['storage.locations'] = () => ({ locations: [HOME] })
  setApi(fake)
})
afterEach(() => vi.useRealTimers())

async function mountView() {
  await useCertsStore().refresh(false)
  const w = mount(PhoneCopyView, { global: { plugins: [i18n, pinia] } })
  await flushPromises()
  return w
}

describe('number helpers', () => {
  it('keeps 12 digits and shows them 4-4-4', () => {
    expect(codeDigits(' 1234-5678 9012 99')).toBe('123456789012')
    expect(formatCode('12345')).toBe('1234-5')
    expect(formatCode('123456789012')).toBe('1234-5678-9012')
    expect(formatRemaining(125_000)).toBe('2:05')
    expect(formatRemaining(-5)).toBe('0:00')
  })
})

describe('휴대폰에서 가져오기', () => {
  it('shows the QR code as an image and the number 4-4-4, then stores what arrived', async () => {
    let status: 'listening' | 'received' = 'listening'
    fake.overrides['transfer.startReceive'] = () => ({ sessionId: SID, url: 'http://192.168.0.5:4000/s/abc', code: '1234-5678-9012', qrSvg: QR, expiresInMs: 300_000 })
    fake.overrides['transfer.status'] = () => ({
      sessionId: SID,
      direction: 'phone-to-pc',
      state: status,
      ...(status === 'received' ? { received: { format: 'pfx' as const, files: [{ name: 'certificate.pfx', size: 3000 }], owner: 'HKD', issuer: 'yessign', notAfter: '2020-03-25T14:59:59.000Z' } } : {}),
    })
    fake.overrides['transfer.saveReceived'] = (req) => ({ folder: `${req.root}/yessign/USER/cn=HKD`, outcome: 'copied' })
    const w = await mountView()
    await w.get('[data-testid="pc-recv-start"]').trigger('click')
    await flushPromises()
    const img = w.get('[data-testid="pc-qr"]')
    expect(img.element.tagName).toBe('IMG')
    expect(img.attributes('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/)
    expect(w.html()).not.toContain('<script')
    expect(w.get('[data-testid="pc-url"]').text()).toBe('http://192.168.0.5:4000/s/abc')
    expect(w.get('[data-testid="pc-code"]').text()).toBe('1234-5678-9012')
    expect(w.get('[data-testid="pc-countdown"]').text()).toMatch(/번호 유효 시간 [45]:\d\d 남음/)
    // A wrong number typed on the phone: the PC says how many tries are left, even once the listener waits again.
    fake.emit({ type: 'transfer', sessionId: SID, state: 'wrong-code', detail: { failuresLeft: 2, retryAfterMs: 1000 } })
    fake.emit({ type: 'transfer', sessionId: SID, state: 'phone-connected' })
    await flushPromises()
    expect(w.get('[data-testid="pc-wrong"]').text()).toContain('남은 기회는 2번')
    status = 'received'
    fake.emit({ type: 'transfer', sessionId: SID, state: 'received' })
    await flushPromises()
    expect(w.get('[data-testid="pc-r-owner"]').text()).toBe('HKD')
    expect(w.get('[data-testid="pc-r-expiry"]').text()).toBe('2020-03-25')
    await w.get('[data-testid="pc-r-password"]').setValue(fake.password)
    await w.get('[data-testid="pc-received"] form').trigger('submit')
    await flushPromises()
    expect(fake.calls.find((c) => c.name === 'transfer.saveReceived')?.req).toEqual({ sessionId: SID, password: fake.password, root: '/home/u/NPKI' })
    expect(w.get('[data-testid="pc-saved"]').text()).toContain('하드디스크 · HKD · yessign')
    w.unmount()
  })

  it('says the number expired when its life runs out', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    fake.overrides['transfer.startReceive'] = () => ({ sessionId: SID, url: 'http://h/s/x', code: '111122223333', qrSvg: QR, expiresInMs: 3000 })
    fake.overrides['transfer.status'] = () => ({ sessionId: SID, direction: 'phone-to-pc', state: 'listening' })
    const w = await mountView()
    await w.get('[data-testid="pc-recv-start"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="pc-countdown"]').text()).toContain('0:03')
    vi.advanceTimersByTime(3500)
    await flushPromises()
    expect(w.get('[data-testid="pc-end"]').attributes('data-end')).toBe('expired')
    expect(w.get('[data-testid="pc-end"]').text()).toContain('유효 시간이 지났습니다')
    w.unmount()
  })
})

describe('휴대폰으로 내보내기', () => {
  it('shows the threat gist, counts wrong numbers down and warns of guessing on lockout', async () => {
    const results = [{ ok: false, failuresLeft: 2, retryAfterMs: 0, locked: false }, { ok: false, failuresLeft: 0, retryAfterMs: 0, locked: true }]
    fake.overrides['transfer.startSend'] = (req) => ({ sessionId: SID, url: 'http://h/s/x', qrSvg: QR, expiresInMs: 300_000, format: req.format })
    fake.overrides['transfer.status'] = () => ({ sessionId: SID, direction: 'pc-to-phone', state: 'awaiting-code' })
    fake.overrides['transfer.submitCode'] = () => results.shift() ?? { ok: true }
    const w = await mountView()
    expect(w.get('[data-testid="pc-threat"]').text()).toContain(TRANSFER_THREAT_GIST.ko)
    expect(w.get('[data-testid="pc-send-start"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="pc-password"]').setValue(fake.password)
    await w.get('[data-testid="pc-send"] form').trigger('submit')
    await flushPromises()
    expect(fake.calls.find((c) => c.name === 'transfer.startSend')?.req).toEqual({ certId: 'c1', format: 'pfx', password: fake.password })
    const input = w.get('[data-testid="pc-code-input"]')
    await input.setValue('12345678901')
    expect((input.element as HTMLInputElement).value).toBe('1234-5678-901')
    expect(w.get('[data-testid="pc-code-submit"]').attributes('disabled')).toBeDefined()
    await input.setValue('123456789012')
    await w.get('[data-testid="pc-session"] form').trigger('submit')
    await flushPromises()
    expect(fake.calls.find((c) => c.name === 'transfer.submitCode')?.req).toEqual({ sessionId: SID, code: '123456789012' })
    expect(w.get('[data-testid="pc-wrong"]').text()).toContain('남은 기회는 2번')
    await w.get('[data-testid="pc-code-input"]').setValue('123456789013')
    await w.get('[data-testid="pc-session"] form').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="pc-end"]').attributes('data-end')).toBe('locked')
    expect(w.get('[data-testid="pc-end"]').text()).toContain('누군가 번호를 추측하고 있을 수 있습니다')
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-testid="pc-threat"]').text()).toContain(TRANSFER_THREAT_GIST.en)
    w.unmount()
  })

  it('cancels on request and when the screen is left', async () => {
    fake.overrides['transfer.status'] = () => ({ sessionId: SID, direction: 'pc-to-phone', state: 'awaiting-code' })
    fake.overrides['transfer.cancel'] = () => ({ ok: true })
    fake.overrides['transfer.startSend'] = () => {
      throw { code: 'WRONG_PASSWORD', message: 'x' } satisfies ErrorInfo
    }
    const w = await mountView()
    await w.get('[data-testid="pc-password"]').setValue('nope')
    await w.get('[data-testid="pc-send"] form').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="pc-send"] [data-testid="error"]').text()).toBe('인증서 비밀번호가 맞지 않습니다. 다시 입력해 주세요.')
    fake.overrides['transfer.startSend'] = (req) => ({ sessionId: SID, url: 'http://h/s/x', qrSvg: QR, expiresInMs: 300_000, format: req.format })
    await w.get('[data-testid="pc-format-npki"]').setValue(true)
    await w.get('[data-testid="pc-send"] form').trigger('submit')
    await flushPromises()
    // The folder as it is carries the key too: the password goes along to be checked (finding 7).
    expect(fake.calls.filter((c) => c.name === 'transfer.startSend').at(-1)?.req).toEqual({ certId: 'c1', format: 'npki', password: 'nope' })
    await w.get('[data-testid="pc-cancel"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="pc-end"]').attributes('data-end')).toBe('cancelled')
    expect(fake.count('transfer.cancel')).toBe(1)
    await w.get('[data-testid="pc-restart"]').trigger('click')
    fake.overrides['transfer.startReceive'] = () => ({ sessionId: SID, url: 'http://h/s/x', code: '111122223333', qrSvg: QR, expiresInMs: 300_000 })
    await w.get('[data-testid="pc-recv-start"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="pc-code"]').text()).toBe('1111-2222-3333')
    w.unmount()
    expect(fake.count('transfer.cancel')).toBe(2)
  })
})
