import { app, BrowserWindow, ipcMain, protocol, shell } from 'electron'
import { contract } from '../../shared/contract/index'
import { createAppServices } from '../services/app-services'
import { runApp, type ElectronLike } from './app-main'

// The only file that touches the electron module: everything else is plain, testable code.
const electronLike: ElectronLike = {
  app: app as unknown as ElectronLike['app'],
  protocol: protocol as unknown as ElectronLike['protocol'],
  ipcMain: ipcMain as unknown as ElectronLike['ipcMain'],
  shell,
  createWindow: (options) => new BrowserWindow(options) as unknown as ReturnType<ElectronLike['createWindow']>,
}

runApp(electronLike, {
  baseDir: import.meta.dirname,
  isDev: !app.isPackaged && process.env.NODE_ENV === 'development',
  callNames: Object.keys(contract),
  createServices: (dataDir, version) => createAppServices({ dataDir, host: 'electron', version }),
})
