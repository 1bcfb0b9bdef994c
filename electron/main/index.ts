import { app, BrowserWindow, dialog, ipcMain, Notification, protocol, shell } from 'electron'
import { join } from 'node:path'
import type { DesktopShell } from '../../app/files/handlers'
import { contract } from '../../shared/contract/index'
import { createAppServices } from '../../app/app-services'
import type { Reminder } from '../../core/reminders/reminders'
import type { ReminderText } from '../../shared/i18n/reminder-text'
import { runApp, type ElectronLike } from './app-main'
import { EVENT_CHANNEL } from './shell'

// The only file that touches the electron module: everything else is plain, testable code.
const electronLike: ElectronLike = {
  app: app as unknown as ElectronLike['app'],
  protocol: protocol as unknown as ElectronLike['protocol'],
  ipcMain: ipcMain as unknown as ElectronLike['ipcMain'],
  shell,
  argv: process.argv,
  createWindow: (options) => new BrowserWindow(options) as unknown as ReturnType<ElectronLike['createWindow']>,
}

/** An expiry reminder as a system notification (worded by the app layer in the settings' language); clicking it opens 갱신 for that certificate. */
function notify(r: Reminder, text: ReminderText): void {
  if (!Notification.isSupported()) return
  const n = new Notification(text)
  n.on('click', () => {
    const win = BrowserWindow.getAllWindows()[0]
    if (!win) return
    win.show()
    win.focus()
    win.webContents.send(EVENT_CHANNEL, { type: 'reminder', certId: r.certId, daysLeft: r.daysLeft, open: true })
  })
  n.show()
}

/** The OS's own dialogs (parented to the window) and file manager for the files.* calls. */
const desktop: DesktopShell = {
  async dialog(purpose, defaultName) {
    const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
    const pfx = [{ name: 'PFX (PKCS#12)', extensions: ['pfx', 'p12'] }]
    if (purpose === 'save-pfx') {
      const opts = { defaultPath: join(app.getPath('documents'), defaultName ?? 'certificate.pfx'), filters: pfx }
      const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts)
      return r.canceled || !r.filePath ? null : r.filePath
    }
    const opts = purpose === 'open-pfx' ? { properties: ['openFile' as const], filters: pfx } : { properties: ['openDirectory' as const] }
    const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts)
    return r.canceled ? null : (r.filePaths[0] ?? null)
  },
}

runApp(electronLike, {
  baseDir: import.meta.dirname,
  isDev: !app.isPackaged && process.env.NODE_ENV === 'development',
  callNames: Object.keys(contract),
  createServices: (dataDir, version) =>
    createAppServices({
      dataDir,
      host: 'electron',
      version,
      notify,
      desktop,
      setBadge: (n) => app.setBadgeCount(n),
      // 폴더 열기: main has already checked that the folder lies inside a certificate root.
      openFolder: async (p) => {
        const err = await shell.openPath(p)
        if (err) throw new Error(err)
      },
    }),
})
