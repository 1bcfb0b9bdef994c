import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { writeFileAtomicSync } from '../storage/atomic'
import { withFileLockSync } from '../storage/file-lock'

/** Wrong PINs the app accepts before it refuses to try again (most tokens lock at 5 or 10). */
export const DEFAULT_PIN_LIMIT = 5

/**
 * Counts wrong PINs per token and refuses further attempts after the limit. Hardware tokens
 * lock themselves; SoftHSM2 and some cheap tokens never do, and an app that keeps sending
 * guesses would turn such a token into an offline brute-force target. With a file the count
 * survives restarts (the CLI is a new process each time).
 *
 * An attempt is counted before the PIN goes to the token (`reserve`), under a lock on the file
 * that the app and every `certmgr` process share: counted afterwards, PINs tried side by side
 * in several processes each found the count where it was, and more than the limit reached the
 * token. A right PIN clears the count (`ok`); an attempt that never got the token's verdict
 * gives its place back (`release`).
 */
export class PinGuard {
  /** Without a file (tests, a guard for one process), the counts live here. */
  private readonly memory: Record<string, number> = {}

  constructor(
    private readonly file?: string,
    readonly limit: number = DEFAULT_PIN_LIMIT,
  ) {}

  /** The count the app and the CLI share: one file in the data folder. */
  static inDataDir(dataDir: string): PinGuard {
    return new PinGuard(join(dataDir, 'token-pin-failures.json'))
  }

  private load(): Record<string, number> {
    if (!this.file) return this.memory
    // Read again each time: the 보안토큰 tab, the wizards and the CLI may each hold a guard on
    // the same file, and one count must not hide another's.
    const counts: Record<string, number> = {}
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      if (v && typeof v === 'object') for (const [k, n] of Object.entries(v)) if (typeof n === 'number') counts[k] = n
    } catch {
      /* no file yet */
    }
    return counts
  }

  /** Reads, changes and writes the counts as one step for every process sharing the file. */
  private update<T>(change: (counts: Record<string, number>) => { result: T; changed: boolean }): T {
    if (!this.file) return change(this.memory).result
    const file = this.file
    // The data folder may not exist yet (a first `certmgr` run); the lock lives beside the file.
    mkdirSync(dirname(file), { recursive: true })
    return withFileLockSync(`${file}.lock`, () => {
      const counts = this.load()
      const { result, changed } = change(counts)
      if (changed) writeFileAtomicSync(file, new TextEncoder().encode(JSON.stringify(counts)))
      return result
    })
  }

  failures(token: string): number {
    return this.load()[token] ?? 0
  }

  locked(token: string): boolean {
    return this.failures(token) >= this.limit
  }

  /**
   * Counts one attempt at the PIN before it is made. Answers the attempts left should this one
   * be wrong, or undefined when the limit is reached (nothing counted: the PIN must not be sent).
   */
  reserve(token: string): number | undefined {
    return this.update((counts) => {
      const n = counts[token] ?? 0
      if (n >= this.limit) return { result: undefined, changed: false }
      counts[token] = n + 1
      return { result: this.limit - (n + 1), changed: true }
    })
  }

  /** Gives back a reserved attempt whose PIN the token never judged (the session failed first). */
  release(token: string): void {
    this.update((counts) => {
      const n = counts[token] ?? 0
      if (n <= 0) return { result: undefined, changed: false }
      if (n === 1) delete counts[token]
      else counts[token] = n - 1
      return { result: undefined, changed: true }
    })
  }

  /** A right PIN: the count starts over. */
  async ok(token: string): Promise<void> {
    this.update((counts) => {
      if (counts[token] === undefined) return { result: undefined, changed: false }
      delete counts[token]
      return { result: undefined, changed: true }
    })
  }

  /** Called after the PIN was reset with the security officer PIN. */
  async reset(token: string): Promise<void> {
    await this.ok(token)
  }
}
