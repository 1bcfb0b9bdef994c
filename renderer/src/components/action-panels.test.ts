import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import { setApi } from '../api/client'
import { i18n, setLocale } from '../i18n/index'
import { FakeApi } from '../testing/fake-api'
import CertDetails from './CertDetails.vue'
import IdentityPanel from './IdentityPanel.vue'
import PasswordPanel from './PasswordPanel.vue'
import { details } from '../testing/fake-api'

const global = { plugins: [i18n] }
let fake: FakeApi

beforeEach(() => {
  setLocale('ko')
  fake = new FakeApi()
  setApi(fake)
})

describe('PasswordPanel', () => {
  it('says whether the password is right, and clears nothing the user still needs', async () => {
    const w = mount(PasswordPanel, { props: { certId: 'c1' }, global })
    await w.get('[data-testid="pw-current"]').setValue('wrong')
    await w.get('[data-testid="pw-check"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="error"]').text()).toBe('인증서 비밀번호가 맞지 않습니다. 다시 입력해 주세요.')
    await w.get('[data-testid="pw-current"]').setValue(fake.password)
    // Enter in 현재 비밀번호 checks it; it does not try a change with empty new fields.
    await w.get('[data-testid="pw-current"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(w.get('[data-testid="pw-result"]').text()).toBe('비밀번호가 맞습니다.')
    expect(fake.calls.at(-1)).toEqual({ name: 'keys.checkPassword', req: { certId: 'c1', password: fake.password } })
  })

  it('checks the new password against the NPKI rule before it can be sent', async () => {
    const w = mount(PasswordPanel, { props: { certId: 'c1' }, global })
    await w.get('[data-testid="pw-current"]').setValue(fake.password)
    await w.get('[data-testid="pw-new"]').setValue('short1!')
    expect(w.get('[data-testid="pw-rule"]').text()).toBe('10자 이상 64자 이하로 정해 주세요.')
    expect(w.get('[data-testid="pw-change"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="pw-new"]').setValue('abcq9!x7k2m')
    expect(w.get('[data-testid="pw-rule"]').text()).toContain('연속된 문자')
    await w.get('[data-testid="pw-new"]').setValue('Zq9!x7k2m#')
    expect(w.get('[data-testid="pw-rule"]').text()).toBe('비밀번호 규칙에 맞습니다.')
    await w.get('[data-testid="pw-again"]').setValue('Zq9!x7k2m')
    expect(w.get('[data-testid="pw-mismatch"]').text()).toBe('새 비밀번호가 서로 다릅니다.')
    expect(w.get('[data-testid="pw-change"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="pw-again"]').setValue('Zq9!x7k2m#')
    expect(w.get('[data-testid="pw-change"]').attributes('disabled')).toBeUndefined()
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(fake.password).toBe('Zq9!x7k2m#')
    expect(w.get('[data-testid="pw-result"]').text()).toContain('비밀번호를 변경했습니다')
    // The fields are emptied once the change is done.
    for (const f of ['pw-current', 'pw-new', 'pw-again']) expect((w.get(`[data-testid="${f}"]`).element as HTMLInputElement).value).toBe('')
  })

  it('names the broken rule when main refuses the new password', async () => {
    fake.overrides['keys.changePassword'] = () => {
      throw { code: 'PASSWORD_RULE', message: 'x', params: { rule: 'repeat' } }
    }
    const w = mount(PasswordPanel, { props: { certId: 'c1' }, global })
    await w.get('[data-testid="pw-current"]').setValue(fake.password)
    await w.get('[data-testid="pw-new"]').setValue('Zq9!x7k2m#')
    await w.get('[data-testid="pw-again"]').setValue('Zq9!x7k2m#')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="error"]').text()).toContain('같은 문자를 세 번 연속으로 쓸 수 없습니다.')
  })
})

describe('IdentityPanel', () => {
  it('accepts only 13 digits and reports match and mismatch', async () => {
    const w = mount(IdentityPanel, { props: { certId: 'c1' }, global })
    await w.get('[data-testid="id-password"]').setValue(fake.password)
    await w.get('[data-testid="id-idn"]').setValue('80010')
    expect(w.text()).toContain('숫자 13자리를 입력해 주세요.')
    expect(w.get('[data-testid="id-verify"]').attributes('disabled')).toBeDefined()
    await w.get('[data-testid="id-idn"]').setValue('800101-1234567')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(fake.calls.at(-1)).toEqual({ name: 'keys.verifyIdentity', req: { certId: 'c1', password: fake.password, idn: '8001011234567' } })
    expect(w.get('[data-testid="id-result"]').attributes('data-result')).toBe('match')
    expect(w.get('[data-testid="id-result"]').text()).toBe('본인 명의의 인증서가 맞습니다.')
    await w.get('[data-testid="id-idn"]').setValue('9001011234567')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="id-result"]').text()).toBe('입력한 번호와 인증서의 명의가 일치하지 않습니다.')
  })
})

describe('details actions', () => {
  it('opens the password form, and keeps actions off for a damaged certificate', async () => {
    const w = mount(CertDetails, { props: { details: details(), loading: false, error: null }, global })
    await w.get('[data-testid="action-checkPassword"]').trigger('click')
    expect(w.find('[data-testid="password-panel"]').exists()).toBe(true)
    expect(w.get('[data-testid="action-checkPassword"]').attributes('aria-expanded')).toBe('true')
    await w.get('[data-testid="action-verifyIdentity"]').trigger('click')
    expect(w.find('[data-testid="password-panel"]').exists()).toBe(false)
    expect(w.find('[data-testid="identity-panel"]').exists()).toBe(true)
    const broken = mount(CertDetails, { props: { details: details({ state: 'damaged', damaged: 'signPri.key is missing' }), loading: false, error: null }, global })
    expect(broken.get('[data-testid="action-checkPassword"]').attributes('disabled')).toBeDefined()
    expect(broken.get('[data-testid="details-damaged"]').text()).toContain('개인키 파일(signPri.key)이 없습니다')
  })
})

describe('what to do next', () => {
  it('points a renewable certificate to renewal and an expired one to a reissue', async () => {
    const renewable = mount(CertDetails, { props: { details: details({ state: 'renewable', daysLeft: 12 }), loading: false, error: null }, global })
    expect(renewable.get('[data-testid="details-next"]').text()).toContain('만료까지 12일 남았습니다')
    await renewable.get('[data-testid="details-next"] button').trigger('click')
    expect(renewable.emitted('go')).toEqual([['renew']])
    const expired = mount(CertDetails, { props: { details: details(), loading: false, error: null }, global })
    await expired.get('[data-testid="details-next"] button').trigger('click')
    expect(expired.emitted('go')).toEqual([['reissue']])
    const valid = mount(CertDetails, { props: { details: details({ state: 'valid', daysLeft: 200 }), loading: false, error: null }, global })
    expect(valid.find('[data-testid="details-next"]').exists()).toBe(false)
  })
})
