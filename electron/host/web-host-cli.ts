import { resolve } from 'node:path'
import { createAppServices } from '../../app/app-services'
import { defaultDataDir } from '../../core/settings/paths'
import { startWebHost } from './web-host'
import pkg from '../../package.json' with { type: 'json' }

// `npm run start:web`: the whole app in any Chromium, with the same handlers as Electron.
const services = await createAppServices({ dataDir: defaultDataDir(), host: 'web', version: pkg.version })
const host = await startWebHost({
  services,
  staticDir: resolve(import.meta.dirname, '../../out/renderer'),
  port: process.env.CERTMGR_WEB_PORT ? Number(process.env.CERTMGR_WEB_PORT) : 0,
})
process.stdout.write(`certmgr web host: open ${host.url}\n`)
const stop = async () => {
  await host.close()
  await services.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
