import cluster, { type Worker } from 'node:cluster'
import { createServer, type AddressInfo } from 'node:net'
import { startCenter, type StartCenterOptions } from './center'
import { Ca } from './ca/ca'
import { resolveConfig, type CenterConfigOverrides } from './config'
import { checkpointWal, openCenterDb } from './db'
import { loadRaKey } from './ra/secrets'
import { holdServingLock } from './serving-lock'

/** What a worker needs to start its share of the center; passed through the environment, so plain data only. */
export interface WorkerSpec extends CenterConfigOverrides {
  dataDir: string
  /** `postgres://…` when the tables live in PostgreSQL. */
  dbUrl?: string
}

const SPEC_ENV = 'CERTMGR_CENTER_WORKER'
const CHECKPOINT_INTERVAL_MS = 1_000

/** A port free right now on `host` (the OS picks it). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** Whether this process is a center worker forked by `startCenterCluster`. */
export function isCenterWorker(): boolean {
  return cluster.isWorker && typeof process.env[SPEC_ENV] === 'string'
}

export interface CenterCluster {
  url: string
  /** Current worker process ids (for operators and tests). */
  workerPids(): number[]
  close(): Promise<void>
}

/**
 * Runs the center in `workers` processes sharing one listening socket (node:cluster hands
 * connections out in turn). One Node process keeps one core busy at most; issuance is CPU
 * work (parsing, PBM, signing), so a center on a multi-core machine needs several.
 *
 * They share nothing but the SQLite database: transaction state, nonces, authorization codes
 * and the CRL all live there, so any worker can answer any message of a transaction. The
 * primary prepares the data directory first (migrations, CA key and certificate, first CRL),
 * so workers never race to create them, and replaces a worker that dies.
 */
export async function startCenterCluster(spec: WorkerSpec & { workers: number }): Promise<CenterCluster> {
  if (!cluster.isPrimary) throw new Error('startCenterCluster runs in the primary process')
  const { workers, dbUrl, ...rest } = spec
  const config = resolveConfig(rest)
  // A concrete port for every worker: with port 0 each generation of workers would get its own
  // random port, and a worker replaced after all others died would answer somewhere else.
  const workerSpec: WorkerSpec = { ...rest, dbUrl, port: config.port === 0 ? await freePort(config.host) : config.port }
  // The primary holds the serving lock too: between a worker's death and its replacement the
  // data is still in use (see center/serving-lock.ts).
  const servingLock = await holdServingLock(spec.dataDir, spec.dbUrl)
  let db: Awaited<ReturnType<typeof openCenterDb>>
  try {
    db = await openCenterDb(spec.dataDir, { dbUrl: spec.dbUrl })
  } catch (err) {
    await servingLock.release()
    throw err
  }
  try {
    await Ca.open(db, spec.dataDir, config)
    await loadRaKey(db, spec.dataDir)
  } catch (err) {
    db.close()
    await servingLock.release()
    throw err
  }
  // The workers never checkpoint (a checkpoint's fsync would stall every request they hold);
  // the primary, which answers none, copies the WAL into the database file once a second.
  let checkpointing: Promise<void> | undefined
  const checkpoints = setInterval(() => {
    checkpointing ??= checkpointWal(db)
      .catch(() => undefined) // busy or failing now: the next tick tries again
      .finally(() => (checkpointing = undefined))
  }, CHECKPOINT_INTERVAL_MS)
  checkpoints.unref()
  const stopCheckpoints = async (): Promise<void> => {
    clearInterval(checkpoints)
    await checkpointing
    db.close()
  }

  let closing = false
  let ready = false
  const live = new Set<Worker>()
  const fork = (): Promise<string> => {
    const worker = cluster.fork({ [SPEC_ENV]: JSON.stringify(workerSpec) })
    live.add(worker)
    let served = false
    return new Promise<string>((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (m && typeof m === 'object' && 'listening' in m && typeof m.listening === 'string') {
          served = true
          resolve(m.listening)
        }
      })
      worker.on('exit', (code, signal) => {
        live.delete(worker)
        reject(new Error(`center worker exited (${signal ?? code}) before it was ready`))
        // A worker that crashed while serving is replaced; the database keeps every transaction
        // it had open. One that never got to listen is not: it would fail the same way again.
        if (!closing && ready && served) void fork().catch(() => undefined)
      })
    })
  }

  const stopAll = async (): Promise<void> => {
    closing = true
    await stopCheckpoints()
    await Promise.all(
      [...live].map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve())
            w.kill('SIGTERM')
          }),
      ),
    )
    await servingLock.release()
  }

  // The primary owns the listening socket and hands connections to the workers in turn.
  let url: string
  try {
    const urls = await Promise.all(Array.from({ length: workers }, () => fork()))
    url = urls[0]!
  } catch (err) {
    await stopAll()
    throw err
  }
  ready = true
  return {
    url,
    workerPids: () => [...live].map((w) => w.process.pid ?? 0),
    close: stopAll,
  }
}

/**
 * The worker side: starts one in-process center on the address the primary gave, tells the
 * primary where it listens, and stops when the primary goes away or on SIGTERM.
 */
export async function runCenterWorker(extra: Partial<StartCenterOptions> = {}): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_ENV] ?? '{}') as WorkerSpec
  const center = await startCenter({ ...spec, ...extra, walCheckpoints: 'primary' })
  process.send?.({ listening: center.url })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
    process.once('disconnect', resolve)
  })
  await center.close()
}
