import type { ErrorInfo } from '../errors'
import { isReasonOf, type CodeWithReasons } from '../reasons'
import type { ReasonSentences } from './reason-sentences'
import { REASONS_EN } from './reasons-en'
import { REASONS_KO } from './reasons-ko'

const MAPS: Record<'ko' | 'en', ReasonSentences> = { ko: REASONS_KO, en: REASONS_EN }

/**
 * The sentence for an error's params.reason in `lang`, its {name} slots filled from the params;
 * undefined when the error carries no reason listed for its code. (The renderer goes through
 * vue-i18n with the same maps; the CLI and the main process through this.)
 */
export function reasonSentence(lang: 'ko' | 'en', info: Pick<ErrorInfo, 'code' | 'params'>): string | undefined {
  const reason = info.params?.reason
  if (!isReasonOf(info.code, reason)) return undefined
  const map = MAPS[lang][info.code as CodeWithReasons] as Record<string, string>
  const params = info.params ?? {}
  return map[reason]?.replace(/\{(\w+)\}/g, (all, name: string) => (params[name] !== undefined ? String(params[name]) : all))
}
