import { app, BrowserWindow, ipcMain, Notification, protocol, shell } from 'electron'
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
      setBadge: (n) => app.setBadgeCount(n),
      // 폴더 열기: main has already checked that the folder lies inside a certificate root.
      openFolder: async (p) => {
        const err = await shell.openPath(p)
        if (err) throw new Error(err)
      },
    }),
})
