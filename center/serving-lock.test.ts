import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCenter } from './center'
import { holdServingLock, takeRestoreLock } from './serving-lock'
import { CENTER_STORES, testStore } from '../tests/helpers/postgres'

describe.each(CENTER_STORES)('the serving lock on %s', (storeName) => {
  it('is shared by serving processes, refuses a restore while held, and makes a starting center wait for a restore', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serving-lock-'))
    const store = await testStore(storeName)
    try {
      // Two holders at once (two workers, two nodes); a restore is refused until both let go.
      const a = await holdServingLock(dir, store.dbUrl)
      const b = await holdServingLock(dir, store.dbUrl)
      await expect(takeRestoreLock(dir, store.dbUrl)).rejects.toThrow(/a center is still serving on this database/)
      await a.release()
      await expect(takeRestoreLock(dir, store.dbUrl)).rejects.toThrow(/still serving/)
      await b.release()

      // While a restore holds it, a center that starts waits, and starts once the restore is done.
      const restore = await takeRestoreLock(dir, store.dbUrl)
      let restoreDone = false
      const starting = startCenter({ dataDir: dir, dbUrl: store.dbUrl }).then((c) => ({ c, afterRestore: restoreDone }))
      await new Promise((r) => setTimeout(r, 1500))
      restoreDone = true
      await restore.release()
      const { c, afterRestore } = await starting
      try {
        expect(afterRestore).toBe(true)
        await expect(takeRestoreLock(dir, store.dbUrl)).rejects.toThrow(/still serving/)
      } finally {
        await c.close()
      }
      // Closed: nothing holds it any more.
      await (await takeRestoreLock(dir, store.dbUrl)).release()
    } finally {
      await store.drop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
