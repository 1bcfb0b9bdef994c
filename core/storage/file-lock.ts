import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { CertError } from '../../shared/errors'

/** How long a holder may keep a lock before others take it as left behind by a crash. */
const STALE_MS = 10_000
/** How long to wait for a busy lock before giving up with a clear error. */
const WAIT_MS = 5_000
const RETRY_MS = 5

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * Runs `fn` while holding `lockPath`, a file created exclusively (O_EXCL), so one process at a
 * time across the app and every `certmgr` process runs a read-change-write of a shared file.
 * Synchronous on purpose: it guards a few microseconds of work done inside synchronous code (a
 * PKCS#11 session); a waiter sleeps between tries (Atomics.wait) without spinning. A lock older
 * than STALE_MS belongs to a process that died while holding it and is taken over.
 */
export function withFileLockSync<T>(lockPath: string, fn: () => T): T {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600)
      try {
        writeSync(fd, String(process.pid))
      } finally {
        closeSync(fd)
      }
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let age: number
      try {
        age = Date.now() - statSync(lockPath).mtimeMs
      } catch {
        continue // released meanwhile
      }
      if (age > STALE_MS) {
        try {
          unlinkSync(lockPath)
        } catch {
          /* another waiter took it over first */
        }
        continue
      }
      if (Date.now() > deadline) throw new CertError('IO', 'another certmgr process holds a lock on the app data; try again', { reason: 'other' })
      Atomics.wait(sleeper, 0, 0, RETRY_MS)
    }
  }
  try {
    return fn()
  } finally {
    try {
      unlinkSync(lockPath)
    } catch {
      /* already gone */
    }
  }
}
