import { pbkdf2Sync } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import type { HashName } from './pfx-asn1'
import { pkcs12Kdf } from './pfx-kdf'

/**
 * The key-derivation worker (see pfx-kdf-pool.ts): derives one key per message, so that a
 * hostile PFX's iteration counts burn this thread and not the one that answers the window.
 */
export type KdfJob =
  | { id: number; kind: 'pkcs12'; alg: HashName; password: Uint8Array; salt: Uint8Array; keyId: 1 | 2 | 3; iterations: number; length: number }
  | { id: number; kind: 'pbkdf2'; digest: HashName; password: Uint8Array; salt: Uint8Array; iterations: number; length: number }

export type KdfReply = { id: number; key: Uint8Array } | { id: number; error: string }

parentPort?.on('message', (job: KdfJob) => {
  try {
    const key =
      job.kind === 'pkcs12'
        ? pkcs12Kdf(job.alg, job.password, job.salt, job.keyId, job.iterations, job.length)
        : new Uint8Array(pbkdf2Sync(job.password, job.salt, job.iterations, job.length, job.digest))
    parentPort!.postMessage({ id: job.id, key } satisfies KdfReply)
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) } satisfies KdfReply)
  }
})
