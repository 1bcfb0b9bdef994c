import type { FilePorts, FileStage } from '../core/usecases/ports'
import type { HandlerContext } from './handler'
import type { RunningOps } from './running-ops'

/**
 * Runs a file use-case for a call: with an opId, under the area's record of running operations
 * (so that area's cancel call stops it) and with its stages sent as progress events, the
 * fraction being how many of `stages` have passed; without one, as a plain call.
 */
export function runFileOp<T>(ops: RunningOps, opId: string | undefined, ctx: HandlerContext, stages: readonly FileStage[], fn: (ports: FilePorts) => Promise<T>): Promise<T> {
  if (opId === undefined) return fn({})
  return ops.withOp(opId, (signal) =>
    fn({
      signal,
      progress: (stage) => {
        const i = stages.indexOf(stage)
        if (i >= 0) ctx.emit({ type: 'progress', progress: { opId, stage, fraction: i / (stages.length - 1) } })
      },
    }),
  )
}

/** The stages each file use-case reports, in order (core/usecases). */
export const STAGES = {
  copy: ['read', 'open', 'check', 'write', 'done'],
  move: ['read', 'open', 'check', 'write', 'verify', 'remove', 'done'],
  delete: ['check', 'trash', 'done'],
  restore: ['restore', 'done'],
  changePassword: ['check', 'open', 'encrypt', 'write', 'done'],
} as const satisfies Record<string, readonly FileStage[]>
