import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { OpenedFiles } from '../../app/files/handlers'
import type { AppEvent } from '../../shared/contract/progress'
import { runApp, type ElectronLike, type WindowLike } from './app-main'

const tmp = mkdtempSync(join(tmpdir(), 'certmgr-open-with-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const pfx = (name: string) => {
  const p = join(tmp, name)
  writeFileSync(p, 'pfx bytes')
  return p
}

/** Electron as app-main.ts sees it, recording the app's event handlers and the window's messages. */
function fakeElectron(argv: string[]) {
  const handlers = new Map<string, (...args: never[]) => void>()
  const sent: AppEvent[] = []
  let ready!: () => void
  const whenReady = new Promise<void>((ok) => (ready = ok))
  const win: WindowLike = {
    webContents: { send: (_c: string, ev: AppEvent) => sent.push(ev), on: () => undefined, setWindowOpenHandler: () => undefined, session: { setPermissionRequestHandler: () => undefined, setPermissionCheckHandler: () => undefined, webRequest: { onHeadersReceived: () => undefined } } } as never,
    once: () => undefined,
    show: () => undefined,
    focus: vi.fn(),
    restore: () => undefined,
    isMinimized: () => false,
    loadURL: async () => undefined,
  }
  const e: ElectronLike = {
    app: {
      isPackaged: true,
      enableSandbox: () => undefined,
      requestSingleInstanceLock: () => true,
      quit: () => undefined,
      on: (event, cb) => handlers.set(event, cb),
      whenReady: () => whenReady,
      getVersion: () => '0.0.0',
    },
    protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
    ipcMain: { handle: () => undefined },
    shell: { openExternal: async () => undefined },
    argv,
    createWindow: () => win,
  }
  return { e, handlers, sent, ready, win }
}

/** Services with the real OpenedFiles queue (what 'files.takeOpened' hands the renderer). */
function servicesWith(opened: { q?: OpenedFiles }, events: AppEvent[]) {
  return async () => {
    const q = new OpenedFiles((ev) => events.push(ev))
    opened.q = q
    return { dispatch: vi.fn(), events: { on: vi.fn() }, settings: {}, openFiles: (p: string[], cwd?: string) => q.add(p, cwd), close: async () => undefined } as never
  }
}

const tick = () => new Promise((r) => setTimeout(r, 10))

describe('open with (.pfx/.p12 handed to the app by the OS)', () => {
  it('takes a PFX from the first instance command line once the app is ready, and nothing else from it', async () => {
    const first = pfx('first.pfx')
    const { e, ready } = fakeElectron(['/opt/certmgr/certmgr', '--no-sandbox', first, join(tmp, 'missing.pfx'), pfx('notes.txt')])
    const opened: { q?: OpenedFiles } = {}
    const events: AppEvent[] = []
    runApp(e, { baseDir: '/x/main', isDev: false, callNames: [], createServices: servicesWith(opened, events) })
    ready()
    await tick()
    expect(opened.q!.take()).toEqual([first])
    expect(events).toEqual([{ type: 'files-opened' }])
  })

  it('takes a PFX from a second instance (relative to its working folder) and focuses the window', async () => {
    const { e, handlers, ready, win } = fakeElectron(['/opt/certmgr/certmgr'])
    const opened: { q?: OpenedFiles } = {}
    const events: AppEvent[] = []
    runApp(e, { baseDir: '/x/main', isDev: false, callNames: [], createServices: servicesWith(opened, events) })
    ready()
    await tick()
    mkdirSync(join(tmp, 'docs'), { recursive: true })
    const second = pfx('docs/second.p12')
    ;(handlers.get('second-instance') as (ev: unknown, argv: string[], cwd: string) => void)({}, ['/opt/certmgr/certmgr', 'second.p12'], join(tmp, 'docs'))
    expect(opened.q!.take()).toEqual([second])
    expect(events).toEqual([{ type: 'files-opened' }])
    expect(win.focus).toHaveBeenCalled()
  })

  it("queues macOS open-file events that come before the app is ready, and prevents Electron's default", async () => {
    const { e, handlers, ready } = fakeElectron(['/Applications/certmgr.app/Contents/MacOS/certmgr'])
    const opened: { q?: OpenedFiles } = {}
    const events: AppEvent[] = []
    runApp(e, { baseDir: '/x/main', isDev: false, callNames: [], createServices: servicesWith(opened, events) })
    const early = pfx('early.pfx')
    const preventDefault = vi.fn()
    ;(handlers.get('open-file') as (ev: { preventDefault(): void }, path: string) => void)({ preventDefault }, early)
    expect(preventDefault).toHaveBeenCalled()
    ready()
    await tick()
    expect(opened.q!.take()).toEqual([early])
    const later = pfx('later.pfx')
    ;(handlers.get('open-file') as (ev: { preventDefault(): void }, path: string) => void)({ preventDefault }, later)
    expect(opened.q!.take()).toEqual([later])
  })
})

describe('packaging registers .pfx and .p12', () => {
  it('declares file associations in electron-builder.yml', async () => {
    const yml = (await import('node:fs')).readFileSync(join(import.meta.dirname, '../../electron-builder.yml'), 'utf8')
    expect(yml).toMatch(/fileAssociations:\s*\n\s+- ext:\s*\n?\s*- pfx\s*\n\s*- p12/)
  })
})
