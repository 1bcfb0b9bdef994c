import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { createAppI18n, i18n } from '../i18n/index'
import { reasonKey } from '../lib/errors'
import { wizardErrorText } from './error-text'
import WizardError from './WizardError.vue'

describe('wizard error sentences', () => {
  const { t, te } = createAppI18n('ko').global
  const tt = (k: string, p?: Record<string, unknown>) => t(k, p ?? {})
  const tte = (k: string) => te(k)
  const device = new ApiError({ code: 'IO', message: 'the drive could not be read or written (was it removed?)', params: { reason: 'device' } })

  it('renewal gets its own drive-gone sentence: no location to choose, the old certificate stays', () => {
    expect(reasonKey(device, tte, { flow: 'renew' })).toBe('wizard.errors.deviceRenew')
    const text = wizardErrorText(device, tt, tte, 'renew')
    expect(text).toContain('기존 인증서는 그대로 있습니다')
    expect(text).not.toContain('다른 저장 위치')
  })

  it('the shown error takes the wizard from its flow prop', () => {
    const global = { plugins: [i18n] }
    expect(mount(WizardError, { props: { error: device, flow: 'renew' }, global }).text()).toContain('기존 인증서는 그대로 있습니다')
    expect(mount(WizardError, { props: { error: device, flow: 'issue' }, global }).text()).toContain('다른 저장 위치')
  })

  it('issue and reissue keep the sentence that offers another location', () => {
    for (const flow of ['issue', 'reissue', undefined]) {
      expect(reasonKey(device, tte, { flow })).toBe('wizard.errors.device')
      expect(wizardErrorText(device, tt, tte, flow)).toContain('다른 저장 위치')
    }
  })

  it('other reasons read the same on renewal, and an unknown reason falls back to the code', () => {
    const medium = { code: 'FORBIDDEN', params: { reason: 'medium' } } as const
    expect(reasonKey(medium, tte, { flow: 'renew' })).toBe('errorReasons.FORBIDDEN.medium')
    expect(reasonKey(medium, tte, { flow: 'renew' })).toBe(reasonKey(medium, tte, { flow: 'issue' }))
    expect(reasonKey({ code: 'IO', params: { reason: 'no-such-reason' } }, tte, { flow: 'renew' })).toBeUndefined()
    expect(wizardErrorText(new ApiError({ code: 'IO', message: 'x', params: { reason: 'no-such-reason' } }), tt, tte, 'renew')).toBe(t('wizard.errors.saveFailed'))
  })

  it('has the renewal sentence in English too', () => {
    const en = createAppI18n('en').global
    expect(wizardErrorText(device, (k, p) => en.t(k, p ?? {}), (k) => en.te(k), 'renew')).toContain('existing certificate is unchanged')
  })
})
