import type { CallResult } from '../../app/dispatch'
import type { AppEvent } from '../../shared/contract/progress'
import { APP_CSP, APP_SCHEME, denyAllPermissions, isAllowedExternalUrl, isAppUrl, isTrustedSender, secureWebPreferences } from './security'
import { readStatic } from '../host/static-files'

/**
 * The slice of the electron module the shell uses. Typed structurally so the rules can be
 * unit-tested with plain objects where the Electron binary cannot run.
 */
export interface NavEvent {
  preventDefault(): void
}
export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', cb: (e: NavEvent, url: string) => void): unknown
  on(event: 'will-attach-webview', cb: (e: NavEvent) => void): unknown
  setWindowOpenHandler(cb: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void
  send(channel: string, payload: unknown): void
  session: { setPermissionRequestHandler(cb: typeof denyAllPermissions): void; setPermissionCheckHandler(cb: () => boolean): void }
}
export interface IpcMainLike {
  handle(channel: string, cb: (event: { senderFrame: { url: string; parent?: unknown } | null }, payload: unknown) => Promise<CallResult>): void
}
export interface ShellLike {
  openExternal(url: string): Promise<void>
}

export const EVENT_CHANNEL = 'certmgr:event'

/** Window options every window of the app is created with. */
export function windowOptions(preload: string, isDev: boolean) {
  return {
    width: 1180,
    height: 780,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: '공동인증서 매니저',
    backgroundColor: '#f5f7fb',
    webPreferences: secureWebPreferences(preload, isDev),
  }
}

/** Applies the navigation, window.open, webview and permission rules to a window. */
export function hardenWebContents(wc: WebContentsLike, shell: ShellLike): void {
  // #13: the renderer never leaves the app's own pages.
  const stay = (e: NavEvent, url: string) => {
    if (!isAppUrl(url)) e.preventDefault()
  }
  wc.on('will-navigate', stay)
  wc.on('will-redirect', stay)
  // #12: no <webview> can be attached, whatever the renderer asks.
  wc.on('will-attach-webview', (e) => e.preventDefault())
  // #14: no new windows; an allowed https link opens in the user's browser instead.
  wc.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  // #5: deny permission requests and checks.
  wc.session.setPermissionRequestHandler(denyAllPermissions)
  wc.session.setPermissionCheckHandler(() => false)
}

/** Registers every call of the contract through one guarded wrapper (#17). */
export function registerIpc(ipcMain: IpcMainLike, names: string[], dispatch: (name: string, payload: unknown, ctx: { emit(e: AppEvent): void }) => Promise<CallResult>, emit: (e: AppEvent) => void): void {
  for (const name of names) {
    ipcMain.handle(name, async (event, payload) => {
      if (!isTrustedSender(event.senderFrame)) return { ok: false, error: { code: 'FORBIDDEN', message: 'sender is not the app' } }
      return dispatch(name, payload, { emit })
    })
  }
}

/** Serves the built renderer for app://certmgr/... with a traversal check and the CSP (#18, #7). */
export async function serveAppRequest(rendererDir: string, requestUrl: string): Promise<{ status: number; body: Uint8Array | string; headers: Record<string, string> }> {
  const url = new URL(requestUrl)
  if (url.protocol !== `${APP_SCHEME}:` || !isAppUrl(requestUrl)) return { status: 403, body: 'forbidden', headers: {} }
  const file = await readStatic(rendererDir, url.pathname)
  if (!file) return { status: 404, body: 'not found', headers: {} }
  return { status: 200, body: file.body, headers: { 'content-type': file.type, 'content-security-policy': APP_CSP, 'x-content-type-options': 'nosniff' } }
}

export { isAllowedExternalUrl }
