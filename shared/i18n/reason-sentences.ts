import type { CodeWithReasons, ReasonOf } from '../reasons'

/** A sentence map over every reason of every code: a reason without a sentence is a type error. */
export type ReasonSentences = { readonly [C in CodeWithReasons]: { readonly [R in ReasonOf<C>]: string } }
