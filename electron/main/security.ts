/**
 * The Electron security checklist (electronjs.org/docs/latest/tutorial/security), as small
 * functions the shell wires up and the tests call directly. Each rule names its item.
 */

/** The app's own origin: pages are served through protocol.handle, never file:// (#18). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'certmgr'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

export interface WebPreferencesLike {
  sandbox: boolean
  contextIsolation: boolean
  nodeIntegration: boolean
  nodeIntegrationInWorker: boolean
  nodeIntegrationInSubFrames: boolean
  webviewTag: boolean
  webSecurity: boolean
  allowRunningInsecureContent: boolean
  devTools: boolean
  preload: string
  spellcheck: boolean
}

/**
 * #2 no Node integration for remote or local content, #3 context isolation, #4 sandbox,
 * #6 webSecurity stays on, #8 no insecure content, #12 no <webview>; DevTools only in
 * development builds.
 */
export function secureWebPreferences(preload: string, isDev: boolean): WebPreferencesLike {
  return {
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    devTools: isDev,
    preload,
    spellcheck: false,
  }
}

/** #13 limit navigation: only the app's own pages. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST
  } catch {
    return false
  }
}

/**
 * #15 shell.openExternal only for an allow-list: web pages over https (bank help pages) and
 * mail links. Never javascript:, file:, smb: or custom schemes that could start programs.
 */
export function isAllowedExternalUrl(url: string): boolean {
  try {
    const u = new URL(url)
    if (u.protocol === 'https:') return u.hostname.length > 0 && !u.username && !u.password
    if (u.protocol === 'mailto:') return true
    return false
  } catch {
    return false
  }
}

/** #5 deny every permission request (camera, notifications from web content, geolocation...). */
export function denyAllPermissions(_wc: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false)
}

/** #17 validate the sender of every IPC message: only the app's own top frame. */
export function isTrustedSender(frame: { url: string; parent?: unknown } | null | undefined): boolean {
  if (!frame) return false
  if (frame.parent) return false
  return isAppUrl(frame.url)
}

/** #7 a Content-Security-Policy on every response (the same policy the browser host sends). */
export { APP_CSP } from '../host/static-files'
