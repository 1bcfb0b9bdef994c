import { EventEmitter } from 'node:events'
import { watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'

export interface NpkiWatcherOptions {
  /** The roots to watch (asked again on every re-arm, so new drives and settings are picked up). */
  roots: () => string[] | Promise<string[]>
  /** Quiet time before one `certs-changed` for a burst of file events. */
  debounceMs?: number
  /** How often to look for roots that appeared or vanished. */
  rearmMs?: number
}

// Our own atomic writes churn through hidden `.x.tmp`/`.x.old` names; only the final rename matters.
function isHidden(relative: string | null | undefined): boolean {
  if (!relative) return false
  return relative.split(/[\\/]/).some((part) => part.startsWith('.'))
}

/**
 * Watches NPKI roots (recursively) and emits `certs-changed` once per burst of changes, so the
 * list refreshes when another program, a copy or a plugged-in drive changes a root.
 */
export class NpkiWatcher extends EventEmitter {
  private readonly watchers = new Map<string, FSWatcher>()
  private readonly debounceMs: number
  private readonly rearmMs: number
  private timer: NodeJS.Timeout | undefined
  private rearmTimer: NodeJS.Timeout | undefined
  private running = false
  private first = true

  constructor(private readonly opts: NpkiWatcherOptions) {
    super()
    this.debounceMs = opts.debounceMs ?? 400
    this.rearmMs = opts.rearmMs ?? 5000
  }

  /** The roots currently watched. */
  watched(): string[] {
    return [...this.watchers.keys()]
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.first = true
    await this.rearm()
    this.rearmTimer = setInterval(() => void this.rearm(), this.rearmMs)
    this.rearmTimer.unref?.()
  }

  stop(): void {
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    if (this.rearmTimer) clearInterval(this.rearmTimer)
    this.timer = undefined
    this.rearmTimer = undefined
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }

  private changed(): void {
    if (!this.running) return
    // At once, before the debounce: a scan kept by the app must not outlive the change it missed.
    this.emit('activity')
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.running) this.emit('certs-changed')
    }, this.debounceMs)
  }

  /** Starts watching roots that now exist, and drops those that went away (a drive pulled out). */
  async rearm(): Promise<void> {
    let wanted: string[]
    try {
      wanted = (await this.opts.roots()).map((r) => resolve(r))
    } catch {
      return
    }
    if (!this.running) return
    const present = new Set<string>()
    for (const root of wanted) {
      const isDir = await stat(root).then(
        (s) => s.isDirectory(),
        () => false,
      )
      if (isDir) present.add(root)
    }
    let appearedOrVanished = false
    for (const [root, w] of this.watchers) {
      if (!present.has(root)) {
        w.close()
        this.watchers.delete(root)
        appearedOrVanished = true
      }
    }
    for (const root of present) {
      if (this.watchers.has(root) || !this.running) continue
      try {
        const w = watch(root, { recursive: true, persistent: false }, (_event, name) => {
          if (!isHidden(name)) this.changed()
        })
        w.on('error', () => {
          // The root was removed or its drive unplugged: drop it; the next re-arm looks again.
          w.close()
          if (this.watchers.get(root) === w) this.watchers.delete(root)
          this.changed()
        })
        this.watchers.set(root, w)
        appearedOrVanished = true
      } catch {
        /* not watchable (permissions, too many watches): the manual refresh still works */
      }
    }
    // A root that appears or vanishes changes the list as much as a file inside it does.
    if (appearedOrVanished && !this.first) this.changed()
    this.first = false
  }
}
