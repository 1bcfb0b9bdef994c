import ko from './i18n/ko'

const words = (m: unknown): string => (typeof m === 'string' ? m : m && typeof m === 'object' ? Object.values(m).map(words).join('') : '')

/**
 * Every character the first screen (the list, its sidebar and tabs) can show in Korean, once
 * each. The page asks the bundled face for these characters early, and the build preloads the
 * font slices that cover them (electron.vite.config.ts), so the first layout finds the face there.
 */
export function firstScreenText(): string {
  return [...new Set(words([ko.app, ko.nav, ko.language, ko.kind, ko.state, ko.location, ko.list, ko.empty, ko.locations.tabs]))].join('')
}
