import type { AddressInfo } from 'node:net'
import type { Client } from '@libsql/client'
import { Ca } from './ca/ca'
import { CmpService } from './cmp/service'
import { resolveConfig, type CenterConfig, type CenterConfigOverrides } from './config'
import { openCenterDb } from './db'
import { Ra, type RaOptions } from './ra/ra'
import { loadRaKey } from './ra/secrets'
import { createCenterServer } from './server'
import { holdServingLock } from './serving-lock'

export interface StartCenterOptions extends CenterConfigOverrides {
  dataDir: string
  /** Passed through to the RA (messenger, clock, ...); fees and the renewal window come from the center config. */
  raOptions?: RaOptions
  /** 'primary': another process checkpoints the WAL (see `startCenterCluster`); by default this one does. */
  walCheckpoints?: 'self' | 'primary'
  /**
   * Makes this the app's embedded center: self-registration and the outbox answer requests
   * that carry this per-run secret. Never set by `certmgr center serve`.
   */
  embedded?: { secret: string }
  /**
   * CA certificates to trust for 타기관 인증서 등록 from this start on (added to the operator's
   * list, `certmgr center trust`); tests give the embedded center their own test CAs this way.
   */
  trustedCaCerts?: Uint8Array[]
  /** The clock of the CMP server and the RA, in milliseconds (tests move it). */
  now?: () => number
  /** `postgres://…`: keep the tables in PostgreSQL (several nodes share it) instead of `center.db` in `dataDir`. */
  dbUrl?: string
}

export interface RunningCenter {
  /** http://host:port (no trailing slash) */
  url: string
  config: CenterConfig
  db: Client
  ra: Ra
  ca: Ca
  cmp: CmpService
  close(): Promise<void>
}

/** Starts the certification center (CA + CMP + RA) on one HTTP server. */
export async function startCenter(opts: StartCenterOptions): Promise<RunningCenter> {
  const { dataDir, raOptions, walCheckpoints, dbUrl, embedded, now, trustedCaCerts, ...overrides } = opts
  const config = resolveConfig(overrides)
  // Held while this process serves, so `certmgr center restore` refuses instead of swapping the
  // database under it (and a start waits for a restore in progress).
  const servingLock = await holdServingLock(dataDir, dbUrl)
  let db: Client
  try {
    db = await openCenterDb(dataDir, { dbUrl, autoCheckpoint: walCheckpoints !== 'primary' })
  } catch (err) {
    await servingLock.release()
    throw err
  }
  try {
    const ca = await Ca.open(db, dataDir, config)
    // Made on first start with the CA key, so a copy of the data directory is complete.
    await loadRaKey(db, dataDir)
    const ra = new Ra(db, {
      outboxDir: dataDir,
      keyDir: dataDir,
      ...(now ? { now: () => new Date(now()) } : {}),
      ...raOptions,
      fees: config.feesKrw,
      renewalWindowDays: config.renewalWindowDays,
      renewalCheck: () => (config.renewalRequiresRa ? 'ra' : 'signature'),
    })
    for (const der of trustedCaCerts ?? []) await ra.addTrustedCa(der)
    const cmp = new CmpService(db, ca, ra, config, { now })
    const server = createCenterServer({ config, ca, cmp, ra, embeddedSecret: embedded?.secret })
    // Idle keep-alive sockets must not hold close() open.
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const addr = server.address() as AddressInfo
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    // Unconfirmed certificates past the deadline end even when no request comes in.
    const sweeper = setInterval(() => void cmp.expireUnconfirmed().catch(() => undefined), 60_000)
    sweeper.unref()
    let closed = false
    return {
      url: `http://${host}:${addr.port}`,
      config,
      db,
      ra,
      ca,
      cmp,
      async close() {
        if (closed) return
        closed = true
        clearInterval(sweeper)
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        db.close()
        await servingLock.release()
      },
    }
  } catch (err) {
    db.close()
    await servingLock.release()
    throw err
  }
}
