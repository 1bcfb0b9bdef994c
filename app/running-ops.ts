import { CertError } from '../shared/errors'

/**
 * The long operations running under a caller's opId, so one cancel call ('enroll.cancel')
 * can stop any of them: the wizards' enrollments and a PFX import alike.
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
