import { readFileSync } from 'node:fs'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { runApp, type ElectronLike, type WindowLike } from './app-main'
import { APP_ORIGIN, isAllowedExternalUrl, isTrustedSender, secureWebPreferences } from './security'
import { hardenWebContents, registerIpc, serveAppRequest, windowOptions, type NavEvent, type WebContentsLike } from './shell'

function fakeWebContents() {
  const handlers: Record<string, (...a: never[]) => unknown> = {}
  let openHandler: ((d: { url: string }) => { action: string }) | undefined
  let permissionHandler: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | undefined
  let checkHandler: (() => boolean) | undefined
  const wc = {
    on: (ev: string, cb: (...a: never[]) => unknown) => {
      handlers[ev] = cb
    },
    setWindowOpenHandler: (cb: typeof openHandler) => {
      openHandler = cb
    },
    send: vi.fn(),
    session: {
      setPermissionRequestHandler: (cb: typeof permissionHandler) => {
        permissionHandler = cb
      },
      setPermissionCheckHandler: (cb: typeof checkHandler) => {
        checkHandler = cb
      },
    },
  }
  return { wc: wc as unknown as WebContentsLike, handlers, open: () => openHandler!, permission: () => permissionHandler!, check: () => checkHandler! }
}

function navEvent(): NavEvent & { prevented: boolean } {
  const e = { prevented: false, preventDefault: () => (e.prevented = true) }
  return e
}

describe('window options', () => {
  it('sandboxes every window and keeps Node out of the renderer', () => {
    const w = windowOptions('/p/preload.cjs', false).webPreferences
    expect(w.sandbox).toBe(true)
    expect(w.contextIsolation).toBe(true)
    expect(w.nodeIntegration).toBe(false)
    expect(w.nodeIntegrationInWorker).toBe(false)
    expect(w.nodeIntegrationInSubFrames).toBe(false)
    expect(w.webviewTag).toBe(false)
    expect(w.webSecurity).toBe(true)
    expect(w.allowRunningInsecureContent).toBe(false)
  })
  it('allows DevTools only in development', () => {
    expect(secureWebPreferences('/p', false).devTools).toBe(false)
    expect(secureWebPreferences('/p', true).devTools).toBe(true)
  })
})

describe('navigation and new windows', () => {
  it('denies navigation away from the app and allows its own pages', () => {
    const f = fakeWebContents()
    hardenWebContents(f.wc, { openExternal: vi.fn() })
    const away = navEvent()
    f.handlers['will-navigate']!(away as never, 'https://evil.example/' as never)
    expect(away.prevented).toBe(true)
    const redirect = navEvent()
    f.handlers['will-redirect']!(redirect as never, 'file:///etc/passwd' as never)
    expect(redirect.prevented).toBe(true)
    const inside = navEvent()
    f.handlers['will-navigate']!(inside as never, `${APP_ORIGIN}/index.html` as never)
    expect(inside.prevented).toBe(false)
  })
  it('blocks <webview> attachment', () => {
    const f = fakeWebContents()
    hardenWebContents(f.wc, { openExternal: vi.fn() })
    const e = navEvent()
    f.handlers['will-attach-webview']!(e as never)
    expect(e.prevented).toBe(true)
  })
  it('denies window.open; opens only allowed links externally', () => {
    const openExternal = vi.fn(async () => undefined)
    const f = fakeWebContents()
    hardenWebContents(f.wc, { openExternal })
    expect(f.open()({ url: 'https://www.yessign.or.kr/' })).toEqual({ action: 'deny' })
    expect(openExternal).toHaveBeenCalledWith('https://www.yessign.or.kr/')
    expect(f.open()({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(f.open()({ url: 'file:///C:/Windows/System32/calc.exe' })).toEqual({ action: 'deny' })
    expect(openExternal).toHaveBeenCalledTimes(1)
  })
})

describe('openExternal allow-list', () => {
  it.each([
    ['https://www.yessign.or.kr/help', true],
    ['mailto:help@example.com', true],
    ['javascript:alert(1)', false],
    ['file:///etc/passwd', false],
    ['http://insecure.example/', false],
    ['smb://server/share', false],
    ['ms-msdt:/id', false],
    ['https://user:pw@example.com/', false],
    ['not a url', false],
  ])('%s -> %s', (url, allowed) => {
    expect(isAllowedExternalUrl(url)).toBe(allowed)
  })
})

describe('permissions', () => {
  it('denies every permission request and check', () => {
    const f = fakeWebContents()
    hardenWebContents(f.wc, { openExternal: vi.fn() })
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'usb']) {
      const cb = vi.fn()
      f.permission()(null, p, cb)
      expect(cb).toHaveBeenCalledWith(false)
    }
    expect(f.check()()).toBe(false)
  })
})

describe('IPC sender check', () => {
  function setup() {
    const handlers = new Map<string, (e: { senderFrame: { url: string; parent?: unknown } | null }, p: unknown) => Promise<unknown>>()
    const dispatch = vi.fn(async () => ({ ok: true as const, value: { fine: true } }))
    registerIpc({ handle: (ch, cb) => void handlers.set(ch, cb as never) }, ['certs.list'], dispatch, () => undefined)
    return { handler: handlers.get('certs.list')!, dispatch }
  }
  it('accepts the app’s own top frame', async () => {
    const { handler, dispatch } = setup()
    expect(await handler({ senderFrame: { url: `${APP_ORIGIN}/index.html` } }, {})).toEqual({ ok: true, value: { fine: true } })
    expect(dispatch).toHaveBeenCalledOnce()
  })
  it('rejects other origins, subframes and missing frames without dispatching', async () => {
    const { handler, dispatch } = setup()
    for (const frame of [{ url: 'https://evil.example/' }, { url: 'file:///x/index.html' }, { url: `${APP_ORIGIN}/x`, parent: {} }, null]) {
      const r = (await handler({ senderFrame: frame }, {})) as { ok: boolean; error?: { code: string } }
      expect(r.ok).toBe(false)
      expect(r.error?.code).toBe('FORBIDDEN')
    }
    expect(dispatch).not.toHaveBeenCalled()
    expect(isTrustedSender(undefined)).toBe(false)
  })
})

describe('app protocol', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certmgr-proto-'))
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<html></html>')
  writeFileSync(join(dir, 'secret.txt'), 'outside')
  it('serves app pages with the CSP', async () => {
    const r = await serveAppRequest(join(dir, 'renderer'), `${APP_ORIGIN}/index.html`)
    expect(r.status).toBe(200)
    expect(r.headers['content-security-policy']).toContain("default-src 'self'")
  })
  it('refuses path traversal and foreign hosts', async () => {
    expect((await serveAppRequest(join(dir, 'renderer'), `${APP_ORIGIN}/%2e%2e/secret.txt`)).status).toBe(404)
    expect((await serveAppRequest(join(dir, 'renderer'), `${APP_ORIGIN}/..%2fsecret.txt`)).status).toBe(404)
    expect((await serveAppRequest(join(dir, 'renderer'), 'app://other/index.html')).status).toBe(403)
  })
})

function fakeElectron(lock: boolean) {
  const calls: string[] = []
  const win: WindowLike = {
    webContents: fakeWebContents().wc,
    once: () => undefined,
    show: () => calls.push('show'),
    focus: () => calls.push('focus'),
    restore: () => undefined,
    isMinimized: () => false,
    loadURL: async (u: string) => calls.push(`load ${u}`),
  }
  const e: ElectronLike = {
    app: {
      isPackaged: true,
      enableSandbox: () => calls.push('sandbox'),
      requestSingleInstanceLock: () => lock,
      quit: () => calls.push('quit'),
      on: () => undefined,
      whenReady: () => (lock ? Promise.resolve() : new Promise(() => undefined)),
      getVersion: () => '0.0.0',
    },
    protocol: { registerSchemesAsPrivileged: () => calls.push('scheme'), handle: () => calls.push('handle') },
    ipcMain: { handle: () => undefined },
    shell: { openExternal: async () => undefined },
    argv: ['/opt/certmgr/certmgr'],
    createWindow: () => {
      calls.push('window')
      return win
    },
  }
  return { e, calls }
}

describe('app lifecycle', () => {
  const services = async () => ({ dispatch: vi.fn(), events: { on: vi.fn() }, settings: {}, openFiles: () => [], close: async () => undefined }) as never
  it('quits a second instance without opening a window', async () => {
    const { e, calls } = fakeElectron(false)
    expect(runApp(e, { baseDir: '/x/main', isDev: false, callNames: [], createServices: services })).toBe(false)
    await new Promise((r) => setTimeout(r, 10))
    expect(calls).toContain('quit')
    expect(calls).not.toContain('window')
  })
  it('enables the sandbox and loads the app origin, not file://', async () => {
    const { e, calls } = fakeElectron(true)
    expect(runApp(e, { baseDir: '/x/main', isDev: false, callNames: [], createServices: services })).toBe(true)
    await new Promise((r) => setTimeout(r, 10))
    expect(calls[0]).toBe('sandbox')
    expect(calls).toContain('handle')
    expect(calls).toContain(`load ${APP_ORIGIN}/index.html`)
  })
})

describe('packaging', () => {
  const yml = readFileSync(resolve(import.meta.dirname, '../../electron-builder.yml'), 'utf8')
  it('sets the Electron fuses that close run-as-node, NODE_OPTIONS and --inspect', () => {
    expect(yml).toMatch(/^\s+runAsNode: false$/m)
    expect(yml).toMatch(/^\s+enableNodeOptionsEnvironmentVariable: false$/m)
    expect(yml).toMatch(/^\s+enableNodeCliInspectArguments: false$/m)
    expect(yml).toMatch(/^\s+enableEmbeddedAsarIntegrityValidation: true$/m)
    expect(yml).toMatch(/^\s+onlyLoadAppFromAsar: true$/m)
  })
  it('targets Windows, macOS and Linux and unpacks native modules', () => {
    for (const t of ['nsis', 'dmg', 'AppImage', 'deb']) expect(yml).toContain(`- ${t}`)
    expect(yml).toContain('pkcs11js')
    expect(yml).toContain('*.node')
  })
})
