import { setFlagsFromString } from 'node:v8'

/**
 * V8's tier-up budget for a serving center process: half the default (67,584 bytecodes), so
 * the request path reaches optimized code sooner.
 *
 * V8 optimizes a function once it has run its budget's worth of bytecode a few times. The
 * request path is many functions that each run once per request, so with the default a node
 * started (or restarted, or taking over from a failed one) serves its first thousands of
 * requests in baseline code and compiles while it serves: on two cores, after 1,000 requests an
 * `ir` still cost a node about 2.8 ms of CPU, against 1.9 ms after 5,000. With half the budget
 * the cost after 1,000 requests fell by about 0.8 ms, and the first thousand cost no more than
 * before; a quarter of it optimizes before the type feedback has settled and compiles more
 * (the first thousand cost about 2 ms more each).
 */
export const SERVING_INTERRUPT_BUDGET = 33_792

/** Applies the serving tuning to this process (a `center serve` process or one of its workers). */
export function tuneForServing(): void {
  setFlagsFromString(`--interrupt-budget=${SERVING_INTERRUPT_BUDGET}`)
}
