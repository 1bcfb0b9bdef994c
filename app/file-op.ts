import { FILE_OPS, type FileOp } from '../shared/contract/file-stages'
import type { FilePorts } from '../core/usecases/ports'
import type { HandlerContext } from './handler'
import type { RunningOps } from './running-ops'

/**
 * Runs a file use-case for a call: with an opId, under the area's record of running operations
 * (so that area's cancel call stops it) and with its stages sent as progress events, the
 * fraction being how many of the operation's stages (shared/contract/file-stages.ts FILE_OPS) have
 * passed; without one, as a plain call.
 */
export function runFileOp<T>(ops: RunningOps, opId: string | undefined, ctx: HandlerContext, op: FileOp, fn: (ports: FilePorts) => Promise<T>): Promise<T> {
  if (opId === undefined) return fn({})
  const stages: readonly string[] = FILE_OPS[op].stages
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

