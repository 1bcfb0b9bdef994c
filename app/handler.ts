import type { z } from 'zod'
import type { CallDef } from '../shared/contract/define'
import type { AppEvent } from '../shared/contract/progress'

/** What a handler gets besides its parsed request. */
export interface HandlerContext {
  /** Push an event to the window that made the call (progress, changes). */
  emit(event: AppEvent): void
}

export type Handler<C extends CallDef> = (req: z.output<C['request']>, ctx: HandlerContext) => Promise<z.input<C['response']>>

/** The handlers of one capability, keyed by call name, typed against its call definitions. */
export type Handlers<Calls extends Record<string, CallDef>> = { [K in keyof Calls]: Handler<Calls[K]> }
