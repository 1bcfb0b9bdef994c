import { createI18n } from 'vue-i18n'
import type { ErrorCode } from '../../../shared/errors'
import { compileMessage } from './compile-message'
import en from './en'
import ko, { type MessageSchema } from './ko'

export type Locale = 'ko' | 'en'
export const LOCALES: readonly Locale[] = ['ko', 'en']

export function createAppI18n(locale: Locale = 'ko') {
  return createI18n<[MessageSchema], Locale, false>({
    legacy: false,
    locale,
    fallbackLocale: 'ko',
    messages: { ko, en },
    messageCompiler: compileMessage,
    // Missing keys are a bug caught by tests, not something to log in users' consoles.
    missingWarn: false,
    fallbackWarn: false,
  })
}

/** The app's one i18n instance; stores switch its locale. */
export const i18n = createAppI18n()

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}

export function currentLocale(): Locale {
  return i18n.global.locale.value
}

export function errorKey(code: ErrorCode): `errors.${ErrorCode}` {
  return `errors.${code}`
}
