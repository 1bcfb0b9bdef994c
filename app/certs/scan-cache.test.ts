import { describe, expect, it } from 'vitest'
import { ScanCache } from './scan-cache'

/** A scan that counts its runs and finishes when told. */
function scanner() {
  let runs = 0
  const pending: (() => void)[] = []
  const scan = () => {
    const n = ++runs
    return new Promise<number>((ok) => pending.push(() => ok(n)))
  }
  return { scan, runs: () => runs, finishAll: () => pending.splice(0).forEach((f) => f()) }
}

describe('one scan shared by the list and the reminders', () => {
  it('hands a running scan to a second caller instead of scanning twice', async () => {
    const s = scanner()
    const cache = new ScanCache(s.scan, { keep: true })
    const a = cache.get()
    const b = cache.get()
    s.finishAll()
    expect(await a).toBe(1)
    expect(await b).toBe(1)
    expect(s.runs()).toBe(1)
  })
  it('keeps a finished scan until something invalidates it', async () => {
    const s = scanner()
    const cache = new ScanCache(s.scan, { keep: true })
    const first = cache.get()
    s.finishAll()
    await first
    expect(await cache.get()).toBe(1)
    cache.invalidate()
    const next = cache.get()
    s.finishAll()
    expect(await next).toBe(2)
  })
  it('does not hand out a scan that was running when something changed', async () => {
    const s = scanner()
    const cache = new ScanCache(s.scan, { keep: true })
    const before = cache.get()
    cache.invalidate()
    const after = cache.get()
    s.finishAll()
    expect(await before).toBe(1)
    expect(await after).toBe(2)
  })
  it('scans again when asked for a fresh list (새로고침) or when the kept scan is too old', async () => {
    let now = 0
    const s = scanner()
    const cache = new ScanCache(s.scan, { keep: true, maxAgeMs: 1000, now: () => now })
    const first = cache.get()
    s.finishAll()
    await first
    const fresh = cache.get(true)
    s.finishAll()
    expect(await fresh).toBe(2)
    now = 999
    expect(await cache.get()).toBe(2)
    now = 1000
    const old = cache.get()
    s.finishAll()
    expect(await old).toBe(3)
  })
  it('keeps nothing without a watcher to invalidate it, and never keeps a failed scan', async () => {
    const s = scanner()
    const unkept = new ScanCache(s.scan, { keep: false })
    const a = unkept.get()
    const b = unkept.get()
    s.finishAll()
    expect([await a, await b]).toEqual([1, 2])
    let fail = true
    const flaky = new ScanCache(async () => {
      if (fail) throw new Error('drive gone')
      return 'ok'
    }, { keep: true })
    await expect(flaky.get()).rejects.toThrow('drive gone')
    fail = false
    expect(await flaky.get()).toBe('ok')
  })
})
