import { UsageError, optionalString, type Command } from '../command'
import { centerStore, centerStoreOptions } from './center-store'
import { startCenter } from '../../center/center'
import { parseTrustedProxies } from '../../center/client-source'
import { isCenterWorker, runCenterWorker, startCenterCluster } from '../../center/cluster'

function intOption(args: { values: Record<string, unknown> }, name: string, min: number, max: number): number | undefined {
  const v = args.values[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number`)
  const n = Number(v)
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`)
  return n
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(sig)
    }
    const onInt = () => on('SIGINT')
    const onTerm = () => on('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
}

export const centerServeCommands: Command[] = [
  {
    name: 'center serve',
    usage: 'center serve --data DIR [--db postgres://…] [--host H] [--allowed-hosts NAME,...] [--trusted-proxies ADDR,...] [--port N] [--validity-days N] [--renewal-window-days N] [--renewal-check ra|signature] [--confirm-deadline-minutes N] [--workers N]',
    summary: 'Run the certification center (CMP CA + RA) until interrupted',
    options: {
      ...centerStoreOptions,
      host: { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'trusted-proxies': { type: 'string' },
      port: { type: 'string' },
      'validity-days': { type: 'string' },
      'renewal-window-days': { type: 'string' },
      'renewal-check': { type: 'string' },
      'confirm-deadline-minutes': { type: 'string' },
      workers: { type: 'string' },
    },
    async run(args, io) {
      // A process forked by --workers re-enters here with the primary's arguments.
      if (isCenterWorker()) {
        await runCenterWorker()
        return 0
      }
      const { dataDir, dbUrl } = centerStore(args)
      const host = optionalString(args, 'host') ?? '127.0.0.1'
      const port = intOption(args, 'port', 0, 65535) ?? 0
      // Names clients reach the center by (besides IP addresses and localhost); any other Host is refused.
      const allowedHosts = (optionalString(args, 'allowed-hosts') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '')
      if (allowedHosts.some((h) => !/^[A-Za-z0-9.-]{1,253}$/.test(h))) throw new UsageError('--allowed-hosts must be host names separated by commas')
      // Reverse proxies whose X-Forwarded-For names the client for the throttles; nobody else's is read.
      const trustedProxies = (optionalString(args, 'trusted-proxies') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '')
      try {
        parseTrustedProxies(trustedProxies)
      } catch {
        throw new UsageError('--trusted-proxies must be IP addresses or subnets (10.0.0.5, 10.0.0.0/24) separated by commas')
      }
      const validityDays = intOption(args, 'validity-days', 1, 3650)
      const renewalWindowDays = intOption(args, 'renewal-window-days', 0, 365)
      const workers = intOption(args, 'workers', 1, 64) ?? 1
      // 'ra': a kur also needs the RA's 갱신 checks (account, security medium, phone), as a
      // Korean bank's center asks; 'signature': the current key inside the window is enough,
      // as standard CMP CAs do (so `openssl cmp -cmd kur` works).
      const check = optionalString(args, 'renewal-check') ?? 'ra'
      if (check !== 'ra' && check !== 'signature') throw new UsageError('--renewal-check must be ra or signature')
      const renewalRequiresRa = check === 'ra'
      // A certificate not confirmed (certConf) within this many minutes is revoked and its fee refunded.
      const deadlineMinutes = intOption(args, 'confirm-deadline-minutes', 1, 24 * 60)
      const transactionTtlSeconds = deadlineMinutes === undefined ? undefined : deadlineMinutes * 60
      const spec = { dataDir, dbUrl, host, allowedHosts, trustedProxies, port, validityDays, renewalWindowDays, renewalRequiresRa, transactionTtlSeconds }
      const center = workers > 1 ? await startCenterCluster({ ...spec, workers }) : await startCenter(spec)
      io.out(workers > 1 ? `listening on ${center.url} (${workers} processes)` : `listening on ${center.url}`)
      await untilSignal()
      await center.close()
      return 0
    },
  },
]
