import type { CallDef } from '../shared/contract/define'
import { toErrorInfo, type ErrorInfo } from '../shared/errors'
import type { HandlerContext } from './handler'

export type CallResult = { ok: true; value: unknown } | { ok: false; error: ErrorInfo }

type AnyHandler = (req: unknown, ctx: HandlerContext) => Promise<unknown>

/** Sees every parsed call before its handler runs, e.g. to limit password guessing (password-guard.ts). */
export interface CallGuard {
  /**
   * Throwing refuses the call before its handler runs (what was thrown becomes the error
   * result); a returned function is told how the call ended.
   */
  enter(name: string, req: unknown): Promise<((result: CallResult) => void) | undefined>
}

export interface DispatcherOptions {
  guard?: CallGuard
}

/**
 * The one place every call passes through, whichever host received it (Electron IPC, the
 * browser host, tests): the payload is parsed with the call's schema, the handler runs, its
 * answer is checked against the response schema (so nothing outside the contract, such as
 * key material, can leave main by accident), and any error becomes a typed ErrorInfo. An
 * optional guard may refuse a call before its handler runs.
 */
export function createDispatcher(contract: Record<string, CallDef>, handlers: Record<string, AnyHandler>, opts: DispatcherOptions = {}) {
  for (const name of Object.keys(contract)) if (!handlers[name]) throw new Error(`no handler for ${name}`)
  return async function dispatch(name: string, payload: unknown, ctx: HandlerContext): Promise<CallResult> {
    const def = Object.prototype.hasOwnProperty.call(contract, name) ? contract[name] : undefined
    const handler = def ? handlers[name] : undefined
    if (!def || !handler) return { ok: false, error: { code: 'BAD_REQUEST', message: `unknown call: ${String(name).slice(0, 64)}` } }
    const req = def.request.safeParse(payload ?? {})
    if (!req.success) {
      const issue = req.error.issues[0]
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
      return { ok: false, error: { code: 'BAD_REQUEST', message: `invalid request for ${name}: ${where}${issue?.message ?? 'malformed'}` } }
    }
    let settle: ((result: CallResult) => void) | undefined
    try {
      settle = await opts.guard?.enter(name, req.data)
    } catch (err) {
      return { ok: false, error: toErrorInfo(err) }
    }
    const result = await run(name, def, handler, req.data, ctx)
    settle?.(result)
    return result
  }
}

async function run(name: string, def: CallDef, handler: AnyHandler, req: unknown, ctx: HandlerContext): Promise<CallResult> {
  try {
    const value = await handler(req, ctx)
    const res = def.response.safeParse(value)
    if (!res.success) return { ok: false, error: { code: 'INTERNAL', message: `response of ${name} does not match the contract` } }
    return { ok: true, value: res.data }
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) }
  }
}

export type Dispatch = ReturnType<typeof createDispatcher>
