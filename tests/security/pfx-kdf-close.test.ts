import { describe, expect, it } from 'vitest'
import { hostilePfx } from './hostile-pfx'
import { readPfx } from '../../core/formats/pfx'

/** Rejections nobody handled while `fn` ran and shortly after (the pool settles jobs on later ticks). */
async function unhandledDuring(fn: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = []
  const listener = (reason: unknown): void => void seen.push(reason)
  process.on('unhandledRejection', listener)
  try {
    await fn().catch(() => undefined)
    await new Promise((r) => setTimeout(r, 200))
  } finally {
    process.off('unhandledRejection', listener)
  }
  return seen
}

describe('KdfSession.close: an unhandled rejection from a derivation nobody awaited', () => {
  // An empty password has two BMP forms, so the MAC charges two derivations in one go. With a
  // budget that fits the first and not the second, the read throws while the first is already
  // queued in the worker, before anything awaits it; close() then rejects it. Unhandled, that
  // rejection ends a Node process (the CLI, the app's main process).
  it('a read refused on its budget after starting a derivation leaves no unhandled rejection', async () => {
    const file = hostilePfx({ bags: 1, bagIterations: 1000, macIterations: 50_000 })
    let refusal: unknown
    const seen = await unhandledDuring(() => readPfx(file, '', { budget: 60_000 }).catch((e: unknown) => (refusal = e)))
    expect(refusal).toMatchObject({ code: 'UNSUPPORTED', params: { reason: 'pfx-work-limit' } })
    expect(seen).toEqual([])
  })

  it('a read cancelled before it starts is CANCELLED, not a damaged file', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(readPfx(hostilePfx({ bags: 1, bagIterations: 1000 }), 'x', { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' })
  })
})
