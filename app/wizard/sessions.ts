import { CertError } from '../../shared/errors'

/** What main remembers of an RA session; reference and authorization codes never leave main. */
export interface SessionInfo {
  purpose: string
  serialHex?: string
}

/**
 * The wizard's state in main: the RA sessions it opened, and the long operations running under
 * an opId so `enroll.cancel` can stop them.
 */
export class WizardState {
  private readonly sessions = new Map<string, SessionInfo>()
  private readonly running = new Map<string, AbortController>()

  open(id: string, info: SessionInfo): void {
    this.sessions.set(id, info)
  }

  session(id: string): SessionInfo {
    const s = this.sessions.get(id)
    if (!s) throw new CertError('NOT_FOUND', 'the identity check has expired; please start again', { reason: 'session' })
    return s
  }

  close(id: string): void {
    this.sessions.delete(id)
  }

  /** Runs a long operation under its opId so `enroll.cancel` can stop it. */
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
