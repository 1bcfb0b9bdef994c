import { join } from 'node:path'
import type { AppEvent } from '../../shared/contract/progress'
import type { AppServices } from '../../app/app-services'
import { defaultDataDir } from '../../core/settings/paths'
import { adoptLegacyData } from '../../core/settings/legacy-data'
import { APP_ORIGIN, APP_SCHEME } from './security'
import { EVENT_CHANNEL, hardenWebContents, registerIpc, serveAppRequest, windowOptions, type IpcMainLike, type ShellLike, type WebContentsLike } from './shell'

/** The parts of Electron the app's lifecycle uses, so it can be exercised without the binary. */
export interface WindowLike {
  webContents: WebContentsLike
  once(event: 'ready-to-show', cb: () => void): unknown
  show(): void
  focus(): void
  restore(): void
  isMinimized(): boolean
  loadURL(url: string): Promise<unknown>
}
export interface ElectronLike {
  app: {
    isPackaged: boolean
    enableSandbox(): void
    requestSingleInstanceLock(): boolean
    quit(): void
    on(event: string, cb: (...args: never[]) => void): unknown
    whenReady(): Promise<unknown>
    getVersion(): string
    /** Electron's own data folder, where builds before the shared data folder kept theirs. */
    getPath?(name: 'userData'): string
  }
  /** This process's command line (process.argv): a PFX the OS opened the app with is on it. */
  argv: string[]
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void
    handle(scheme: string, cb: (req: { url: string }) => Promise<Response>): void
  }
  ipcMain: IpcMainLike
  shell: ShellLike
  createWindow(options: ReturnType<typeof windowOptions>): WindowLike
}

export interface RunOptions {
  baseDir: string
  isDev: boolean
  callNames: string[]
  createServices(dataDir: string, version: string): Promise<AppServices>
}

/**
 * Starts the desktop app. Returns false when another instance already runs (the single
 * instance lock), in which case this process quits without creating a window.
 */
export function runApp(e: ElectronLike, opts: RunOptions): boolean {
  // #4: sandbox every renderer, including any created by libraries.
  e.app.enableSandbox()
  // The app's pages come from app://certmgr, a standard secure scheme, not file:// (#18).
  e.protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])
  // One instance: a second start focuses the first window instead of racing it for the same files.
  if (!e.app.requestSingleInstanceLock()) {
    e.app.quit()
    return false
  }
  let win: WindowLike | undefined
  let services: AppServices | undefined
  // Open with (a double-clicked .pfx, 연결 프로그램): the file arrives on the first instance's
  // command line, on a second instance's (which quits and hands it here), or as macOS's
  // open-file event, possibly before the app is ready. Main keeps only existing .pfx/.p12 files
  // and tells the window, which goes to the import view.
  const pending: { paths: string[]; cwd?: string }[] = [{ paths: e.argv.slice(1) }]
  const deliver = (paths: string[], cwd?: string) => {
    if (services) services.openFiles(paths, cwd)
    else pending.push({ paths, ...(cwd ? { cwd } : {}) })
  }
  e.app.on('second-instance', ((_ev: unknown, argv: string[], cwd: string) => {
    deliver(Array.isArray(argv) ? argv.slice(1) : [], typeof cwd === 'string' ? cwd : undefined)
    if (!win) return
    if (win.isMinimized()) win.restore()
    win.focus()
  }) as never)
  e.app.on('open-file', ((ev: { preventDefault(): void }, path: string) => {
    ev.preventDefault()
    deliver([path])
  }) as never)
  // #13/#14 for every web contents, including ones created later.
  e.app.on('web-contents-created', ((_ev: unknown, wc: WebContentsLike) => hardenWebContents(wc, e.shell)) as never)
  e.app.on('window-all-closed', () => e.app.quit())
  e.app.on('will-quit', () => void services?.close())

  void e.app.whenReady().then(async () => {
    const rendererDir = join(opts.baseDir, '../renderer')
    e.protocol.handle(APP_SCHEME, async (req) => {
      const r = await serveAppRequest(rendererDir, req.url)
      return new Response(r.body as ConstructorParameters<typeof Response>[0], { status: r.status, headers: r.headers })
    })
    // The data folder as the CLI and the browser host resolve it (CERTMGR_DATA_DIR, else the
    // platform's config folder): one settings file, so `certmgr` sees the app's extra roots.
    const dataDir = defaultDataDir()
    // Earlier builds kept settings, trash and the embedded center in Electron's userData
    // folder: move them over once, before anything opens them, so nothing is left behind.
    if (e.app.getPath) {
      const adopted = await adoptLegacyData(e.app.getPath('userData'), dataDir)
      if (adopted.failed.length) console.warn(`could not move ${adopted.failed.join(', ')} from the earlier data folder`)
    }
    const s = await opts.createServices(dataDir, e.app.getVersion())
    services = s
    const emit = (ev: AppEvent) => win?.webContents.send(EVENT_CHANNEL, ev)
    s.events.on('event', emit)
    // Files opened before the window existed wait in main; the renderer takes them at start.
    for (const p of pending.splice(0)) s.openFiles(p.paths, p.cwd)
    registerIpc(e.ipcMain, opts.callNames, s.dispatch, emit)
    const w = e.createWindow(windowOptions(join(opts.baseDir, '../preload/index.cjs'), opts.isDev))
    win = w
    w.once('ready-to-show', () => w.show())
    await w.loadURL(`${APP_ORIGIN}/index.html`)
  })
  return true
}
