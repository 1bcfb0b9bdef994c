import { CertError } from '../shared/errors'

/**
 * The long operations of one area running under a caller's opId, so that area's cancel call
 * can stop one. Each area has its own record ('enroll.cancel' for the wizards' enrollments,
 * 'pfx.cancel' for PFX import and export): a cancel never reaches another area's operation.
 */
export class RunningOps {
  private readonly running = new Map<string, AbortController>()

  /**
   * Runs `fn` under opId. It ends CANCELLED only when it stopped because of the cancel: a
   * cancel that lands past an operation's point of no return changes nothing, so whatever
   * fails after it (a moved source that cannot be removed) keeps its own code and reason.
   */
  async withOp<T>(opId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(opId)) throw new CertError('CONFLICT', 'this operation is already running')
    const ac = new AbortController()
    this.running.set(opId, ac)
    try {
      return await fn(ac.signal)
    } catch (err) {
      if (ac.signal.aborted && stoppedByAbort(err, ac.signal)) throw new CertError('CANCELLED', 'cancelled')
      throw err
    } finally {
      this.running.delete(opId)
    }
  }

  cancel(opId: string): boolean {
    const ac = this.running.get(opId)
    ac?.abort()
    return !!ac
  }
}

/**
 * Whether `err` is an operation hearing its signal: the use-cases' own refusal
 * (core/progress/file-stages.ts `cancelledError`), the PFX key derivation's stopped worker and
 * the CMP client's aborted exchange (all CertError CANCELLED), or the signal's own reason as
 * `signal.throwIfAborted()` and an aborted fetch throw it.
 */
function stoppedByAbort(err: unknown, signal: AbortSignal): boolean {
  if (err instanceof CertError) return err.code === 'CANCELLED'
  return err === signal.reason || (err instanceof Error && err.name === 'AbortError')
}
