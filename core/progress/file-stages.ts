import type { FileStage } from '../../shared/contract/file-stages'
import { CertError } from '../../shared/errors'

/*
 * The stage and cancel primitives of the file operations. They sit below both the storage, key
 * and PFX modules that report their stages and the use-cases that compose them, so the lower
 * modules need not import from the use-case folder.
 */

// The stages and their order per operation: the one table in shared/contract/file-stages.ts.
export type { FileStage } from '../../shared/contract/file-stages'
export type FileProgress = (stage: FileStage, fraction: number) => void

/**
 * What a file use-case takes besides its input. `signal` is honoured between stages: a cancel
 * before the write leaves nothing written and the source as it was (CANCELLED). The PFX key
 * derivation hears it inside the stage too (its worker is stopped).
 */
export interface FilePorts {
  progress?: FileProgress
  signal?: AbortSignal
}

/** The one refusal a cancelled use-case ends with, whichever stage heard it. */
export function cancelledError(): CertError {
  return new CertError('CANCELLED', 'the operation was cancelled')
}

/** Reports `stage`, then stops with CANCELLED when the caller has cancelled: the next stage's work never starts. */
export function enterStage(ports: FilePorts | undefined, stage: FileStage, fraction: number): void {
  ports?.progress?.(stage, fraction)
  if (ports?.signal?.aborted) throw cancelledError()
}
