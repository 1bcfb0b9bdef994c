import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { CertError } from '../../shared/errors'
import { HASH_OUT, type HashName } from './pfx-asn1'
import type { KdfJob, KdfReply } from './pfx-kdf-worker'

type JobSpec = KdfJob extends infer J ? (J extends KdfJob ? Omit<J, 'id'> : never) : never
import { MAX_PFX_WORK } from './pfx-limits'

/**
 * Key derivation for reading a PFX, off the calling thread and within a budget.
 *
 * A PFX names its own iteration counts, and a crafted one can ask for millions per derivation
 * and hundreds of derivations. Every derivation is charged to the file's budget *before* it
 * starts (so a file that asks for too much is refused at once, not after the work), then runs
 * in one long-lived worker thread; cancelling a read terminates the worker, which is the only
 * way to stop a hash loop half-way, and the other reads' jobs move to a fresh one.
 */

export interface KdfProgress {
  /** Derivation rounds finished and asked for so far in this file; sent as each derivation starts and ends. */
  done: number
  total: number
}

export interface KdfOptions {
  signal?: AbortSignal
  onProgress?: (p: KdfProgress) => void
  /** Total derivation rounds one file may cost (tests lower it). */
  budget?: number
}

interface Pending {
  job: KdfJob
  session: KdfSession
  resolve(key: Uint8Array): void
  reject(err: unknown): void
}

/**
 * Where the worker's code is: beside this file or one folder up when bundled (out/main from
 * electron-vite, out/cli and the kill tests' esbuild bundles with .mjs names and chunks/), the
 * TypeScript source otherwise.
 */
function startWorker(): Worker {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    // Running from source (tsx, Vitest): the worker compiles the TypeScript the same way.
    const file = fileURLToPath(new URL('./pfx-kdf-worker.ts', here))
    const tsx = createRequire(here).resolve('tsx/cjs/api')
    return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)})`, { eval: true })
  }
  const built = ['./pfx-kdf-worker.js', './pfx-kdf-worker.mjs', '../pfx-kdf-worker.js', '../pfx-kdf-worker.mjs'].map((n) => new URL(n, here)).find((u) => existsSync(fileURLToPath(u)))
  if (!built) throw new CertError('INTERNAL', 'the key-derivation worker is missing from this build')
  return new Worker(built)
}

/**
 * One worker, one derivation at a time: a queue here rather than in the worker's inbox, so a
 * read that ends (refused, failed, cancelled) can take back its queued jobs. Only a cancel
 * stops the job that is running (by replacing the worker); a read that merely failed lets it
 * finish, bounded by the per-derivation cap, rather than pay for a new worker.
 */
class KdfPool {
  private worker: Worker | undefined
  private nextId = 1
  private readonly queue: Pending[] = []
  private running: Pending | undefined

  run(p: Omit<Pending, 'job'> & { job: JobSpec }): void {
    this.queue.push({ ...p, job: { ...p.job, id: this.nextId++ } as KdfJob })
    this.pump()
  }

  /** Rejects every job of `session`; `hard` also stops the one running now. */
  cancel(session: KdfSession, reason: unknown, hard: boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const p = this.queue[i]!
      if (p.session !== session) continue
      this.queue.splice(i, 1)
      p.reject(reason)
    }
    const r = this.running
    if (!r || r.session !== session) return
    r.reject(reason)
    // Its answer, if it comes, goes nowhere.
    this.running = { ...r, resolve: () => undefined, reject: () => undefined }
    if (hard) {
      const w = this.worker
      this.worker = undefined
      this.running = undefined
      void w?.terminate()
      this.pump()
    }
  }

  private pump(): void {
    if (this.running) return
    const next = this.queue.shift()
    if (!next) {
      this.worker?.unref()
      return
    }
    this.running = next
    const w = this.ensure()
    // While a job runs the worker keeps the process alive; an idle one must not hold a CLI open.
    w.ref()
    w.postMessage(next.job)
  }

  private ensure(): Worker {
    if (this.worker) return this.worker
    const w = startWorker()
    w.on('message', (r: KdfReply) => {
      const p = this.running
      if (!p || p.job.id !== r.id) return
      this.running = undefined
      if ('key' in r) p.resolve(r.key)
      else p.reject(new CertError('DAMAGED', 'the PFX file is damaged or not a PFX (key derivation failed)'))
      this.pump()
    })
    w.on('error', () => this.crashed(w))
    w.on('exit', () => this.crashed(w))
    this.worker = w
    return w
  }

  private crashed(w: Worker): void {
    if (this.worker !== w) return
    this.worker = undefined
    const p = this.running
    this.running = undefined
    p?.reject(new CertError('INTERNAL', 'the key-derivation worker stopped'))
    this.pump()
  }
}

const pool = new KdfPool()

/** The derivations of one PFX read or write. */
export class KdfSession {
  private charged = 0
  private done = 0
  private readonly budget: number
  private closed = false

  constructor(private readonly opts: KdfOptions = {}) {
    this.budget = opts.budget ?? MAX_PFX_WORK
    // A CertError, not the signal's DOMException: readPfx would call anything else a damaged file.
    if (opts.signal?.aborted) throw cancelled()
    opts.signal?.addEventListener('abort', () => this.close(), { once: true })
  }

  /** Charges `rounds` to the file's budget; throws at once when the file asks for more. */
  private charge(rounds: number): void {
    if (this.opts.signal?.aborted) throw cancelled()
    if (this.charged + rounds > this.budget) {
      throw new CertError('UNSUPPORTED', `the PFX file asks for more key-derivation work than the limit of ${this.budget.toLocaleString('en-US')} rounds per file`, {
        reason: 'pfx-work-limit',
        limit: this.budget,
      })
    }
    this.charged += rounds
    // Reported when a derivation starts too, so a reader sees done < total while it runs (the
    // count of rounds still to come is unknown until the file's next bag is reached).
    this.opts.onProgress?.({ done: this.done, total: this.charged })
  }

  /** RFC 7292 appendix B in the worker; one pass of the hash chain per `u` output bytes. */
  pkcs12(alg: HashName, password: Uint8Array, salt: Uint8Array, keyId: 1 | 2 | 3, iterations: number, length: number): Promise<Uint8Array> {
    this.charge(iterations * Math.ceil(length / HASH_OUT[alg]))
    return this.run({ kind: 'pkcs12', alg, password, salt, keyId, iterations, length }, iterations * Math.ceil(length / HASH_OUT[alg]))
  }

  pbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number, length: number, digest: HashName): Promise<Uint8Array> {
    this.charge(iterations * Math.ceil(length / HASH_OUT[digest]))
    return this.run({ kind: 'pbkdf2', digest, password, salt, iterations, length }, iterations * Math.ceil(length / HASH_OUT[digest]))
  }

  /** Stops whatever this read still has running (a failed read, a cancel). */
  close(): void {
    if (this.closed) return
    this.closed = true
    const aborted = this.opts.signal?.aborted === true
    pool.cancel(this, aborted ? cancelled() : new CertError('CANCELLED', 'the PFX key derivation ended'), aborted)
  }

  private run(job: JobSpec, rounds: number): Promise<Uint8Array> {
    const p = new Promise<Uint8Array>((resolve, reject) => {
      pool.run({
        job,
        session: this,
        resolve: (key) => {
          this.done += rounds
          this.opts.onProgress?.({ done: this.done, total: this.charged })
          resolve(key)
        },
        reject,
      })
    })
    // close() rejects every job still queued. A reader that stopped before awaiting one (it
    // threw on the budget while starting the next, or awaits only the first of a pair that
    // failed) would leave that rejection unhandled, and Node ends the process on one. Marked
    // handled here; whoever awaits the promise still sees the rejection.
    p.catch(() => undefined)
    return p
  }
}

function cancelled(): CertError {
  return new CertError('CANCELLED', 'the PFX key derivation was cancelled')
}
