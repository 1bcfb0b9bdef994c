import { z } from 'zod'

/**
 * One call of the app's API: a name (`area.verb`), a request schema and a response schema.
 * The preload, the Electron IPC wrapper, the browser host and the renderer client are all
 * built from these definitions, so a call exists in exactly one place.
 */
export interface CallDef<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  request: Req
  response: Res
  /** Long operations report progress events carrying the request's `opId`. */
  progress?: boolean
}

export function call<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res, opts: { progress?: boolean } = {}): CallDef<Req, Res> {
  return { request, response, progress: opts.progress }
}

/** Every call that reports progress takes an optional opId chosen by the caller. */
export const OpId = z.string().min(1).max(64).optional()

export const Empty = z.object({}).strict()
export const Ok = z.object({ ok: z.literal(true) })
