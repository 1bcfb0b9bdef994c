import { callEarly } from './api/client'
import { firstScreenText } from './first-screen-text'
import type { CertSummary } from '../../shared/contract/certs'
import { loadSlicesForCerts } from './font-groups'

// The window's first calls, sent before the rest of the app's code is evaluated (main.ts imports
// this first), so main answers them while the page is being built: the settings (language,
// hide-expired) and the certificate list are there when the app asks.
const calls = [callEarly('settings.get', {}), callEarly('app.info', {}), callEarly('certs.list', { rescan: false })]
/** The first answers, once all are in (never fails: the app's own calls report failures). */
export const firstAnswers = Promise.all(calls)

// The bundled Korean face comes in slices by character range (Fontsource), each fetched when
// text first needs it. The built index.html preloads the first screen's slices (see
// electron.vite.config.ts); the dev server, which has no such step, asks for them here. The first
// frame does not wait for them (font-display: swap): waiting cost more than it saved.
if (import.meta.env.DEV) {
  const firstScreen = firstScreenText()
  for (const weight of [400, 700]) void document.fonts.load(`${weight} 16px "Noto Sans KR"`, firstScreen).catch(() => undefined)
}

/**
 * When the app should first be drawn: once the first answers are in, and the font rules for the
 * characters they hold (owners' names) are in the page, so the first frame already shows the list,
 * laid out once; but never later than `capMs` (a slow disk or drive): the list then arrives behind
 * its spinner.
 */
export function firstScreenReady(capMs = 150): Promise<void> {
  const answered = firstAnswers.then(([, , list]) => {
    const certs = (list as { value?: { certs?: CertSummary[] } } | undefined)?.value?.certs
    return certs ? loadSlicesForCerts(certs) : undefined
  })
  return Promise.race([answered, new Promise<void>((ok) => setTimeout(ok, capMs))])
}
