import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import ErrorMessage from '../components/ErrorMessage.vue'
import { i18n, setLocale } from '../i18n/index'
import PlainError from '../locations/PlainError.vue'
import { storageErrorText } from '../locations/error-text'
import WizardError from '../wizards/WizardError.vue'
import { toApiError } from './errors'

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
