import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../storage/atomic'

/** Wrong PINs the app accepts before it refuses to try again (most tokens lock at 5 or 10). */
export const DEFAULT_PIN_LIMIT = 5

/**
 * Counts wrong PINs per token and refuses further attempts after the limit. Hardware tokens
 * lock themselves; SoftHSM2 and some cheap tokens never do, and an app that keeps sending
 * guesses would turn such a token into an offline brute-force target. With a file the count
 * survives restarts (the CLI is a new process each time).
 */
export class PinGuard {
  private counts: Record<string, number> = {}
  /** fail/ok read, change and write the file: one at a time, or a count written meanwhile is lost. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly file?: string,
    readonly limit: number = DEFAULT_PIN_LIMIT,
  ) {}

  /** The count the app and the CLI share: one file in the data folder. */
  static inDataDir(dataDir: string): PinGuard {
    return new PinGuard(join(dataDir, 'token-pin-failures.json'))
  }

  private load(): void {
    if (!this.file) return
    // Read again each time: the 보안토큰 tab, the wizards and the CLI may each hold a guard on
    // the same file, and one count must not hide another's.
    this.counts = {}
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      if (v && typeof v === 'object') for (const [k, n] of Object.entries(v)) if (typeof n === 'number') this.counts[k] = n
    } catch {
      /* no file yet */
    }
  }

  private async save(): Promise<void> {
    if (this.file) await writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify(this.counts)))
  }

  failures(token: string): number {
    this.load()
    return this.counts[token] ?? 0
  }

  locked(token: string): boolean {
    return this.failures(token) >= this.limit
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  fail(token: string): Promise<number> {
    return this.serial(async () => {
      this.load()
      const n = (this.counts[token] ?? 0) + 1
      this.counts[token] = n
      await this.save()
      return this.limit - n
    })
  }

  ok(token: string): Promise<void> {
    return this.serial(async () => {
      this.load()
      if (this.counts[token] === undefined) return
      delete this.counts[token]
      await this.save()
    })
  }

  /** Called after the PIN was reset with the security officer PIN. */
  async reset(token: string): Promise<void> {
    await this.ok(token)
  }
}
