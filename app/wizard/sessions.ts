import { CertError } from '../../shared/errors'
import { RunningOps } from '../running-ops'

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
  /** The enrollments' own record of running operations: 'enroll.cancel' stops only these. */
  constructor(private readonly ops: RunningOps = new RunningOps()) {}

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
  withOp<T>(opId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.ops.withOp(opId, fn)
  }

  cancel(opId: string): boolean {
    return this.ops.cancel(opId)
  }
}
