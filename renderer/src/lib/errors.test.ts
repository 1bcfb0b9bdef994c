import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import ErrorMessage from '../components/ErrorMessage.vue'
import { i18n, setLocale } from '../i18n/index'
import PlainError from '../locations/PlainError.vue'
import { storageErrorText } from '../locations/error-text'
import WizardError from '../wizards/WizardError.vue'
import { errorText, toApiError } from './errors'

// Main refuses password calls for a while after too many wrong passwords and says for how long.
const locked = new ApiError({ code: 'TOO_MANY_ATTEMPTS', message: 'too many wrong passwords; try again in 30 s', params: { retryAfterSeconds: 30 } })
const KO = '비밀번호를 여러 번 잘못 입력했습니다. 30초 후에 다시 시도하세요.'
const global = { plugins: [i18n] }

describe('too many wrong passwords', () => {
  afterEach(() => setLocale('ko'))

  it('says how long to wait wherever an error is shown', () => {
    expect(mount(ErrorMessage, { props: { error: locked }, global }).text()).toBe(KO)
    expect(mount(PlainError, { props: { error: locked }, global }).text()).toBe(KO)
    expect(mount(WizardError, { props: { error: locked }, global }).text()).toBe(KO)
  })

  it('has an English sentence too', () => {
    setLocale('en')
    expect(storageErrorText(i18n.global.t as never, locked)).toBe('The password was entered wrongly too many times. Try again in 30 seconds.')
  })

  it('keeps the wait when an error arrives as a plain object', () => {
    const e = toApiError({ code: 'TOO_MANY_ATTEMPTS', message: 'x', params: { retryAfterSeconds: 45, nested: { no: 1 } } })
    expect(e.code).toBe('TOO_MANY_ATTEMPTS')
    expect(e.params).toEqual({ retryAfterSeconds: 45 })
    expect(toApiError({ code: 'WRONG_PASSWORD', message: 'x' }).params).toBeUndefined()
  })
})

describe('refused settings', () => {
  afterEach(() => setLocale('ko'))
  const t = (k: string, p?: Record<string, unknown>) => i18n.global.t(k, p ?? {})
  const te = (k: string) => i18n.global.te(k)
  const notNpki = toApiError({ code: 'BAD_REQUEST', message: 'an extra folder must be an NPKI folder given by its full path: x', params: { reason: 'not-npki' } })
  const centerUrl = toApiError({ code: 'BAD_REQUEST', message: 'the certification center address must start with https://', params: { reason: 'center-url' } })

  it('says what was wrong with the value instead of the general BAD_REQUEST sentence', () => {
    expect(errorText(notNpki, t, te)).toContain('NPKI 폴더만 추가할 수 있습니다')
    expect(errorText(centerUrl, t, te)).toContain('https://로 시작해야 합니다')
    expect(mount(ErrorMessage, { props: { error: centerUrl }, global }).text()).toBe(i18n.global.t('errorReasons.BAD_REQUEST.center-url'))
    expect(errorText(new ApiError({ code: 'BAD_REQUEST', message: 'x', params: { reason: 'unknown' } }), t, te)).toBe(i18n.global.t('errors.BAD_REQUEST'))
    expect(errorText(new ApiError({ code: 'BAD_REQUEST', message: 'x' }), t, te)).toBe(i18n.global.t('errors.BAD_REQUEST'))
  })

  it('has the English sentences too', () => {
    setLocale('en')
    expect(errorText(notNpki, t, te)).toBe('Only NPKI folders can be added. Enter the full path of a folder named NPKI, for example D:\\NPKI or /media/usb/NPKI.')
    expect(errorText(centerUrl, t, te)).toContain('must start with https://')
  })
})
