import { callEarly } from './api/client'
import ko from './i18n/ko'

// The window's first calls, sent before the rest of the app's code is evaluated (main.ts imports
// this first), so main answers them while the page is being built: the settings (language,
// hide-expired) and the certificate list are there when the app asks.
const calls = [callEarly('settings.get', {}), callEarly('app.info', {}), callEarly('certs.list', { rescan: false })]

// The bundled Korean face comes in slices by character range (Fontsource), each fetched when
// text first needs it. Asking now for the slices the first screen's words need lets the page be
// laid out once with them, instead of with a fallback and again as each slice arrives.
const words = (m: unknown): string => (typeof m === 'string' ? m : m && typeof m === 'object' ? Object.values(m).map(words).join('') : '')
const firstScreen = [...new Set(words([ko.app, ko.nav, ko.language, ko.kind, ko.state, ko.location, ko.list, ko.empty, ko.locations.tabs]))].join('')
const fonts = [400, 700].map((weight) => document.fonts.load(`${weight} 16px "Noto Sans KR"`, firstScreen).catch(() => undefined))

/**
 * When the app should first be drawn: once the first answers and the first screen's font slices
 * are in, so the first frame already shows the list in the bundled face; but never later than
 * `capMs` (a slow disk or drive): the list then arrives behind its spinner.
 */
export function firstScreenReady(capMs = 150): Promise<void> {
  return Promise.race([Promise.all([...calls, ...fonts]).then(() => undefined), new Promise<void>((ok) => setTimeout(ok, capMs))])
}
