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

/** One measurement: a time in ms, or a throughput when the row says higher is better. */
export type Measure = () => Promise<number>

export interface Paired {
  /** Median of ours over the rounds (for display). */
  ours: number
  /** Median of the reference over the rounds (for display). */
  reference: number
  /** Median of the per-round ratios ours / reference: the figure the target is judged on. */
  ratio: number
  ratios: number[]
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * Runs ours and the reference in alternation, one of each per round, the order swapped every
 * round, and judges on the median of the per-round ratios. A reference that is another process
 * (openssl, cp + sync) is disturbed by whatever else the machine does at that moment: a burst
 * then lands in one round's pair and shifts one ratio, not every "ours" or every "reference"
 * sample. `before` runs unmeasured ahead of every measurement (e.g. flushing the disk);
 * `budgetMs` stops after the round that passes it (at least one round runs).
 */
export async function paired(
  rounds: number,
  ours: Measure,
  reference: Measure,
  opts: { warmup?: boolean; before?: () => Promise<void>; budgetMs?: number } = {},
): Promise<Paired> {
  if (opts.warmup ?? true) {
    await ours()
    await reference()
  }
  const a: number[] = []
  const b: number[] = []
  const ratios: number[] = []
  const started = performance.now()
  for (let r = 0; r < rounds; r++) {
    if (r > 0 && opts.budgetMs !== undefined && performance.now() - started > opts.budgetMs) break
    let o: number
    let ref: number
    if (r % 2 === 0) {
      await opts.before?.()
      o = await ours()
      await opts.before?.()
      ref = await reference()
    } else {
      await opts.before?.()
      ref = await reference()
      await opts.before?.()
      o = await ours()
    }
    a.push(o)
    b.push(ref)
    ratios.push(o / ref)
  }
  return { ours: median(a), reference: median(b), ratio: median(ratios), ratios }
}

/** Wall time of `fn` in ms, as a Measure. */
export function wallMs(fn: () => unknown | Promise<unknown>): Measure {
  return async () => {
    const s = performance.now()
    await fn()
    return performance.now() - s
  }
}

/** A "lower is better" row judged on the median per-round ratio of a paired run. */
export function pairedTimeRow(name: string, p: Paired, maxRatio: number, unit = 'ms') {
  return { name, ours: p.ours, reference: p.reference, unit, ratio: p.ratio, target: `<= ${maxRatio}x (median of per-round ratios)`, met: p.ratio <= maxRatio }
}
