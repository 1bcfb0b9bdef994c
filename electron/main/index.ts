import { app, BrowserWindow, ipcMain, Notification, protocol, shell } from 'electron'
import { contract } from '../../shared/contract/index'
import { createAppServices } from '../../app/app-services'
import type { Reminder } from '../../core/reminders/reminders'
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

/** An expiry reminder as a system notification; clicking it opens 갱신 for that certificate. */
function notify(r: Reminder): void {
  if (!Notification.isSupported()) return
  const when = r.daysLeft <= 0 ? '오늘' : `${r.daysLeft}일 후`
  const n = new Notification({ title: '공동인증서 갱신 안내', body: `${r.owner}님의 인증서가 ${when} 만료됩니다. 눌러서 갱신하세요.` })
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
  createServices: (dataDir, version) => createAppServices({ dataDir, host: 'electron', version, notify, setBadge: (n) => app.setBadgeCount(n) }),
})
