import { describe, expect, it } from 'vitest'
import en from '../i18n/en'
import ko from '../i18n/ko'
import { flowKey } from './flow-words'

function has(messages: unknown) {
  return (key: string) => key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), messages) !== undefined
}

describe('flowKey', () => {
  it('names 재발급 and 갱신 in their own words on every label of the run step', () => {
    for (const m of [ko, en]) {
      for (const key of ['wizard.step.run', 'wizard.run.start', 'wizard.run.request', 'wizard.type.intro']) {
        expect(flowKey(key, 'reissue', has(m))).toBe(`${key}Reissue`)
      }
      for (const key of ['wizard.step.run', 'wizard.run.start', 'wizard.run.request']) expect(flowKey(key, 'renew', has(m))).toBe(`${key}Renew`)
      expect(flowKey('wizard.run.start', 'issue', has(m))).toBe('wizard.run.start')
    }
  })
  it('keeps the shared sentence where a flow has none of its own', () => {
    expect(flowKey('wizard.location.intro', 'reissue', has(ko))).toBe('wizard.location.intro')
  })
})
