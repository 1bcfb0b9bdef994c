import { performance } from 'node:perf_hooks'

/** Median of `runs` timings (ms) after one warm-up run. */
export async function medianMs(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn()
  const t: number[] = []
  for (let i = 0; i < runs; i++) {
    const s = performance.now()
    await fn()
    t.push(performance.now() - s)
  }
  t.sort((a, b) => a - b)
  return t[Math.floor(t.length / 2)]!
}

/** A row for a "lower is better" timing with a maximum ratio. */
export function timeRow(name: string, ours: number, reference: number, maxRatio: number, unit = 'ms') {
  const ratio = ours / reference
  return { name, ours, reference, unit, ratio, target: `<= ${maxRatio}x`, met: ratio <= maxRatio }
}
