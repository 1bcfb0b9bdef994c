import { CertError } from '../shared/errors'

/**
 * The long operations of one area running under a caller's opId, so that area's cancel call
 * can stop one. Each area has its own record ('enroll.cancel' for the wizards' enrollments,
 * 'pfx.cancel' for PFX import and export): a cancel never reaches another area's operation.
 */
export class RunningOps {
  private readonly running = new Map<string, AbortController>()

  /** Runs `fn` under opId; an abort while it runs surfaces as CANCELLED whatever fn threw. */
  async withOp<T>(opId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(opId)) throw new CertError('CONFLICT', 'this operation is already running')
    const ac = new AbortController()
    this.running.set(opId, ac)
    try {
      return await fn(ac.signal)
    } catch (err) {
      if (ac.signal.aborted) throw new CertError('CANCELLED', 'cancelled')
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
