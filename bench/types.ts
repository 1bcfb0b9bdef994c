/** One row of bench/results.json: ours and the reference measured in the same run. */
export interface BenchResult {
  name: string
  ours: number
  reference: number
  unit: string
  /** ours / reference for times (lower is better); for throughputs, say so in `target`. */
  ratio: number
  /** Human-readable target, e.g. "<= 1.5x" or ">= 0.4x". */
  target: string
  /** Whether the target was met in this run. */
  met?: boolean
}

/** A suite file in bench/suites exports `default` of this type. */
export type BenchSuite = () => Promise<BenchResult[]>
