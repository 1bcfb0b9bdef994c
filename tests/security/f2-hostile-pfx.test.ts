import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { afterAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { MAX_PFX_BYTES, MAX_PFX_ITERATIONS, MAX_PFX_WORK, readPfx } from '../../core/formats/pfx'
import { importPfx } from '../../core/pfx/operations'
import { CertError } from '../../shared/errors'
import { tempDir } from '../helpers/fixtures'
import { hostilePfx, oversizedPfx } from './hostile-pfx'

// Finding 2 of the desktop security review: a hostile PFX froze the app (up to 10 million
// iterations per derivation, two derivations per bag, no limit on bags, all on the main
// thread). Now each file has a size cap, a per-derivation cap and a total-work budget charged
// before the work, with an error naming the limit; derivation runs in a worker thread and can
// be cancelled. The bounds are asserted as errors; the 2 s are a generous ceiling for a refusal
// that should take milliseconds (the old code took from seconds to minutes on these files).
const tmp = tempDir('sec-f2-')
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

async function refusal(bytes: Uint8Array): Promise<{ err: CertError; ms: number }> {
  const t = performance.now()
  const err = await readPfx(bytes, 'any-password').then(
    () => undefined,
    (e: unknown) => e,
  )
  const ms = performance.now() - t
  if (!(err instanceof CertError)) throw new Error(`expected a refusal, got ${String(err)}`)
  return { err, ms }
}

/** How often a 10 ms timer fired on this thread while `p` ran. */
async function ticking<T>(p: Promise<T>): Promise<{ value: T; ticks: number }> {
  let ticks = 0
  const timer = setInterval(() => ticks++, 10)
  try {
    return { value: await p, ticks }
  } finally {
    clearInterval(timer)
  }
}

describe('finding 2: a hostile PFX costs bounded time', () => {
  it('too many iterations in one derivation: refused at once, naming the limit', async () => {
    for (const file of [hostilePfx({ bags: 1, bagIterations: 9_000_000 }), hostilePfx({ bags: 1, bagIterations: 2048, macIterations: 9_000_000 })]) {
      const { err, ms } = await refusal(file)
      expect(err.code).toBe('UNSUPPORTED')
      expect(err.params).toEqual({ reason: 'pfx-iteration-limit', limit: MAX_PFX_ITERATIONS })
      expect(err.message).toContain('1,000,000')
      expect(ms).toBeLessThan(2000)
    }
  })

  it('too many bags, each under the per-derivation cap: refused before the work, naming the budget', async () => {
    const file = hostilePfx({ bags: 60, bagIterations: 900_000 })
    const value = await refusal(file)
    expect(value.err.code).toBe('UNSUPPORTED')
    expect(value.err.params).toEqual({ reason: 'pfx-work-limit', limit: MAX_PFX_WORK })
    expect(value.err.message).toContain('4,000,000')
    expect(value.ms).toBeLessThan(2000)
  })

  it('a file over the size cap is refused without being read, naming the limit', async () => {
    const big = join(tmp, 'big.pfx')
    writeFileSync(big, oversizedPfx(MAX_PFX_BYTES))
    const { err } = await refusal(oversizedPfx(MAX_PFX_BYTES))
    expect(err.params).toEqual({ reason: 'pfx-size-limit', limit: MAX_PFX_BYTES })
    await expect(importPfx(big, 'any-password', join(tmp, 'NPKI'))).rejects.toMatchObject({ code: 'UNSUPPORTED', params: { reason: 'pfx-size-limit' } })
  })

  it('derivations within the budget run off the main thread and report progress', async () => {
    // Two bags at 900,000: real work (about a second of hashing), yet this thread keeps
    // ticking: counted as timer ticks, not timed (the page's long tasks are checked in
    // tests/e2e/security-hostile-pfx.spec.ts).
    const progress: number[] = []
    const { value, ticks } = await ticking(
      readPfx(hostilePfx({ bags: 2, bagIterations: 900_000 }), 'any-password', { onProgress: (p) => progress.push(p.done / p.total) }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    )
    // Random bytes do not decrypt: the honest outcome is a wrong password, after the work.
    expect(value).toMatchObject({ code: 'WRONG_PASSWORD' })
    expect(progress.length).toBeGreaterThan(0)
    expect(ticks).toBeGreaterThan(5)
  })

  it('cancel stops a read part-way (CANCELLED) and the next read still works', async () => {
    const ac = new AbortController()
    const reading = readPfx(hostilePfx({ bags: 4, bagIterations: 900_000 }), 'any-password', { signal: ac.signal })
    setTimeout(() => ac.abort(), 50)
    const t = performance.now()
    await expect(reading).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(performance.now() - t).toBeLessThan(2000)
    await expect(readPfx(hostilePfx({ bags: 1, bagIterations: 1000 }), 'any-password')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' })
  })
})
