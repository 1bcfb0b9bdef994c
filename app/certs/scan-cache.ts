/**
 * One scan of the NPKI roots shared by everything that lists certificates in the app: the
 * window's list (every start of the window, every `certs-changed`), the expiry reminders (at
 * start, at the same moment the window asks for its list) and the wizards' certificate choice.
 * Scanning a thousand certificates costs tens of milliseconds of the main process, which the
 * window's first paint waited for twice.
 *
 * A kept scan is dropped (`invalidate`) whenever something may have changed what it found: a
 * raw file event under a root (before the watcher's debounce), a drive coming or going, any
 * call that is not read-only, any `certs-changed` event. `fresh` (the list's 새로고침) always
 * scans again, and a kept scan is never older than `maxAgeMs`, for changes no watcher sees (a
 * network folder, a root created after the start). Without a watcher (`keep: false`) nothing is
 * kept: every caller scans.
 */
export interface ScanCacheOptions {
  /** Keep a finished scan for later callers (only where a watcher invalidates it). */
  keep: boolean
  maxAgeMs?: number
  now?: () => number
}

export class ScanCache<T> {
  private generation = 0
  private kept?: { generation: number; startedAt: number; result: Promise<T>; settled: boolean }
  private readonly maxAgeMs: number
  private readonly now: () => number

  constructor(
    private readonly scan: () => Promise<T>,
    private readonly opts: ScanCacheOptions,
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 30_000
    this.now = opts.now ?? Date.now
  }

  /** Forgets the kept scan; a scan running now is not handed to later callers either. */
  invalidate(): void {
    this.generation++
    this.kept = undefined
  }

  /**
   * The kept scan when it is still good (running, or finished less than `maxAgeMs` ago, with
   * nothing invalidated since it started), else a new one.
   */
  get(fresh = false): Promise<T> {
    const k = this.kept
    if (!fresh && this.opts.keep && k && k.generation === this.generation && (!k.settled || this.now() - k.startedAt < this.maxAgeMs)) return k.result
    const entry = { generation: this.generation, startedAt: this.now(), result: this.scan(), settled: false }
    this.kept = entry
    entry.result.then(
      () => {
        entry.settled = true
      },
      () => {
        // A failed scan is never handed out again.
        if (this.kept === entry) this.kept = undefined
      },
    )
    return entry.result
  }
}
