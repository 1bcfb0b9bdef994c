import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, nextTick } from 'vue'
import { createI18n } from 'vue-i18n'
import { ERROR_CODES } from '../../../shared/errors'
import en from './en'
import { createAppI18n, currentLocale, i18n, setLocale } from './index'
import ko from './ko'

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
}

// vue-i18n reads `|` as plural, `@` as a link and `{` as a parameter: a stray one breaks a message.
const SYNTAX = /[|@$]/

describe('i18n messages', () => {
  afterEach(() => setLocale('ko'))

  it('has the same keys in Korean and English', () => {
    expect(keys(en).sort()).toEqual(keys(ko).sort())
  })

  it('has one plain sentence with a next step for every error code, in both languages', () => {
    for (const code of ERROR_CODES) {
      for (const m of [ko.errors, en.errors]) {
        const text = m[code]
        expect(text, code).toBeTruthy()
        expect(text.split(/[.。]\s*/).filter(Boolean).length, `${code}: ${text}`).toBeGreaterThanOrEqual(2)
      }
    }
    expect(ko.errors.WRONG_PASSWORD).toBe('인증서 비밀번호가 맞지 않습니다. 다시 입력해 주세요.')
    expect(Object.keys(ko.errors).sort()).toEqual([...ERROR_CODES].sort())
  })

  it('uses no vue-i18n syntax characters by accident', () => {
    const all = (o: object): string[] => Object.values(o).flatMap((v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : all(v as object)))
    for (const s of [...all(ko), ...all(en)]) expect(s, s).not.toMatch(SYNTAX)
  })

  it('switches the rendered language and the document language', async () => {
    const C = defineComponent({ template: '<p>{{ $t("nav.list") }} / {{ $t("state.daysLeft", { n: 7 }) }}</p>' })
    const w = mount(C, { global: { plugins: [i18n] } })
    expect(w.text()).toBe('인증서 목록 / 7일 남음')
    setLocale('en')
    await nextTick()
    expect(currentLocale()).toBe('en')
    expect(document.documentElement.lang).toBe('en')
    expect(w.text()).toBe('Certificates / 7 days left')
    setLocale('ko')
    await nextTick()
    expect(w.text()).toBe('인증서 목록 / 7일 남음')
  })

  it("renders every message, with its parameters, as vue-i18n's own compiler does", () => {
    const ours = createAppI18n()
    const theirs = createI18n({ legacy: false, locale: 'ko', fallbackLocale: 'ko', messages: { ko, en }, missingWarn: false, fallbackWarn: false })
    const leaves = (o: object, prefix = ''): [string, string][] =>
      Object.entries(o).flatMap(([k, v]): [string, string][] => (typeof v === 'string' ? [[`${prefix}${k}`, v]] : v && typeof v === 'object' && !Array.isArray(v) ? leaves(v, `${prefix}${k}.`) : []))
    let withParams = 0
    for (const [locale, messages] of [['ko', ko], ['en', en]] as const) {
      ours.global.locale.value = locale
      theirs.global.locale.value = locale
      for (const [key, text] of leaves(messages)) {
        const names = [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
        if (names.length) withParams++
        const values = Object.fromEntries(names.map((n, i) => [n, i % 2 ? 12 : `<${n}>`]))
        expect(ours.global.t(key, values), key).toBe(theirs.global.t(key, values))
        expect(ours.global.t(key, values), key).not.toMatch(/[{}]/)
        // A parameter left out renders as nothing in both.
        expect(ours.global.t(key), key).toBe(theirs.global.t(key))
      }
    }
    expect(withParams).toBeGreaterThan(20)
  })
})
