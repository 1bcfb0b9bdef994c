import { execFile } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { LSBLK_ARGS, parseLsblk } from './linux'
import { DISKUTIL_LIST_ARGS, diskutilInfoArgs, parentDiskOf, parseDiskutilInfo, parseDiskutilList } from './macos'
import type { DriveVolume, ToolRunner } from './types'
import { POWERSHELL_ARGS, parseWindowsVolumes } from './windows'

export type { DriveKind, DriveVolume, ToolRunner } from './types'
export { parseLsblk } from './linux'
export { parseWindowsVolumes } from './windows'
export { parseDiskutilInfo, parseDiskutilList } from './macos'

export const execTool: ToolRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000, maxBuffer: 8 * 1024 * 1024, windowsHide: true, encoding: 'utf8' }, (err, stdout) => {
      if (err) reject(err)
      else resolve(stdout)
    })
  })

async function listLinux(run: ToolRunner): Promise<DriveVolume[]> {
  try {
    return parseLsblk(await run('lsblk', LSBLK_ARGS))
  } catch {
    // util-linux before 2.37 has no MOUNTPOINTS column and rejects the whole list.
    const args = [...LSBLK_ARGS]
    args[args.length - 1] = args[args.length - 1]!.replace('MOUNTPOINTS,', '')
    return parseLsblk(await run('lsblk', args))
  }
}

async function listMac(run: ToolRunner): Promise<DriveVolume[]> {
  const ids = parseDiskutilList(await run('diskutil', DISKUTIL_LIST_ARGS))
  const wholeInfo = new Map<string, string | undefined>()
  const out: DriveVolume[] = []
  for (const id of ids) {
    const info = await run('diskutil', diskutilInfoArgs(id)).catch(() => undefined)
    if (info === undefined) continue
    const parent = parentDiskOf(info)
    if (parent && parent !== id && !wholeInfo.has(parent)) wholeInfo.set(parent, await run('diskutil', diskutilInfoArgs(parent)).catch(() => undefined))
    const v = parseDiskutilInfo(info, parent ? wholeInfo.get(parent) : undefined)
    if (v) out.push(v)
  }
  return out
}

/** The mounted volumes of removable and external drives, as the running OS reports them. */
export async function listDrives(opts: { platform?: NodeJS.Platform; run?: ToolRunner } = {}): Promise<DriveVolume[]> {
  const platform = opts.platform ?? process.platform
  const run = opts.run ?? execTool
  try {
    if (platform === 'linux') return await listLinux(run)
    if (platform === 'darwin') return await listMac(run)
    if (platform === 'win32') return parseWindowsVolumes(await run('powershell.exe', POWERSHELL_ARGS))
  } catch {
    // No tool, no permission or a timeout: offer no drives rather than failing the whole list.
  }
  return []
}

/** Something that says "a USB device came or went"; resolves to an unsubscribe function. */
export type UsbEventSource = (onChange: () => void) => Promise<(() => void) | undefined>

/**
 * The `usb` package's WebUSB connect/disconnect events. On a machine without a USB bus the
 * package throws from a timer (an uncatchable crash), so probe with getDevices() first and
 * subscribe only when that works.
 */
export const nodeUsbEvents: UsbEventSource = async (onChange) => {
  if (process.platform === 'linux' && !existsSync('/sys/bus/usb/devices')) return undefined
  try {
    const mod = (await import('usb')) as unknown as { WebUSB: new (o: { allowAllDevices: boolean }) => EventTarget & { getDevices(): Promise<unknown[]> } }
    const webusb = new mod.WebUSB({ allowAllDevices: true })
    await webusb.getDevices()
    const listener = (): void => onChange()
    webusb.addEventListener('connect', listener)
    webusb.addEventListener('disconnect', listener)
    return () => {
      webusb.removeEventListener('connect', listener)
      webusb.removeEventListener('disconnect', listener)
    }
  } catch {
    return undefined
  }
}

function sameDrives(a: DriveVolume[], b: DriveVolume[]): boolean {
  const key = (l: DriveVolume[]): string => JSON.stringify(l.map((v) => [v.id, v.mountPoint, v.readOnly, v.label]).sort())
  return key(a) === key(b)
}

export interface DriveWatcherOptions {
  list?: () => Promise<DriveVolume[]>
  usbEvents?: UsbEventSource | null
  /** Polling fallback; USB events only shorten the wait. */
  pollMs?: number
  /** Rescans after a USB event: the OS mounts a stick a moment after it appears. */
  settleMs?: number[]
}

/**
 * Keeps the list of drives current and emits `change` (DriveVolume[]) when it differs.
 * USB hot-plug events trigger rescans; a modest poll catches everything else (and is all there
 * is on machines without a USB bus).
 */
export class DriveWatcher extends EventEmitter {
  private readonly list: () => Promise<DriveVolume[]>
  private readonly usbEvents: UsbEventSource | null
  private readonly pollMs: number
  private readonly settleMs: number[]
  private timer: NodeJS.Timeout | undefined
  private pending: NodeJS.Timeout[] = []
  private unsubscribe: (() => void) | undefined
  private drives: DriveVolume[] = []
  private running = false
  private scanning: Promise<void> | undefined
  /** Whether hot-plug events are wired (false: polling only). */
  usbActive = false

  constructor(opts: DriveWatcherOptions = {}) {
    super()
    this.list = opts.list ?? (() => listDrives())
    this.usbEvents = opts.usbEvents === undefined ? nodeUsbEvents : opts.usbEvents
    this.pollMs = opts.pollMs ?? 5000
    this.settleMs = opts.settleMs ?? [300, 1500, 4000]
  }

  current(): DriveVolume[] {
    return this.drives
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    await this.rescan()
    this.timer = setInterval(() => void this.rescan(), this.pollMs)
    this.timer.unref?.()
    if (this.usbEvents) {
      const unsub = await this.usbEvents(() => this.onUsbEvent()).catch(() => undefined)
      if (!this.running) unsub?.()
      else {
        this.unsubscribe = unsub
        this.usbActive = unsub !== undefined
      }
    }
  }

  stop(): void {
    this.running = false
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    for (const t of this.pending) clearTimeout(t)
    this.pending = []
    this.unsubscribe?.()
    this.unsubscribe = undefined
    this.usbActive = false
  }

  private onUsbEvent(): void {
    if (!this.running) return
    for (const ms of this.settleMs) {
      const t = setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== t)
        void this.rescan()
      }, ms)
      t.unref?.()
      this.pending.push(t)
    }
  }

  /** Scans now; concurrent calls share one scan. */
  rescan(): Promise<void> {
    if (this.scanning) return this.scanning
    this.scanning = (async () => {
      try {
        const next = await this.list()
        if (!sameDrives(next, this.drives)) {
          this.drives = next
          if (this.running) this.emit('change', next)
        }
      } catch {
        /* keep the last known list */
      } finally {
        this.scanning = undefined
      }
    })()
    return this.scanning
  }
}
