import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CertError } from '../../shared/errors'
import { npkiRoots, type NpkiRoot } from '../certs/roots'
export { rootIsFollowed } from './links'
import { scanRoots, type FoundCert, type RootReport } from '../certs/scan'
import type { DriveVolume, ToolRunner } from '../drives/types'
import { listDrives } from '../drives/index'
import { canWrite } from '../storage/locations'
import type { SettingsStore } from '../settings/settings-store'
import { isInside, realPathOf, rootIsFollowed } from './links'

/** The folder certificates live in on a drive, and the one a folder given as a root may hold. */
export const NPKI_DIR = 'NPKI'

export interface RootPolicyOptions {
  /** CERTMGR_NPKI_ROOTS comes from here (default process.env). */
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  /** Roots from settings (must be NPKI folders; the settings store checks). */
  extraRoots?: () => string[] | Promise<string[]>
  /** Mounted removable drives (the drive watcher's current list in the app). */
  drives?: () => DriveVolume[] | Promise<DriveVolume[]>
}

/** A mounted drive with the folder its certificates live in, as the policy answers it. */
export interface DriveFolder {
  drive: DriveVolume
  /** `<mount>/NPKI`, whether it exists or not (a drive without one is still a destination). */
  path: string
  /** The drive's root when the policy follows it; absent when its NPKI folder is a link off the drive, or the same folder as another root. */
  root?: NpkiRoot
  /** The folder exists and is followed: certificates on it are listed. */
  hasNpki: boolean
}

/** A key for "the same folder": device and inode when it exists, else the resolved path. */
function folderKey(path: string): string {
  try {
    const st = statSync(path)
    return `${st.dev}:${st.ino}`
  } catch {
    return `path:${resolve(path)}`
  }
}

/**
 * The one answer to "where do certificates live": which folders are NPKI roots (the OS's, or
 * CERTMGR_NPKI_ROOTS instead; settings'; mounted drives'), which accept writes, which is the
 * default, and what is followed. The app builds one in its composition root and hands it to
 * every handler; the CLI builds one per run. Nothing else computes roots.
 *
 * Rules: a folder reached by two paths (an extra root that is a link to an OS root) is one
 * root, kept at its first spelling; a drive's root must be a real folder on that drive; below
 * a root, a link that leaves the root is not followed and what is shown is reached without
 * links (see scanRoots), so writes and deletes never go through one.
 */
export class RootPolicy {
  constructor(private readonly opts: RootPolicyOptions = {}) {}

  private env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env
  }

  /** The drives now mounted. */
  async drives(): Promise<DriveVolume[]> {
    return (await this.opts.drives?.()) ?? []
  }

  /** A drive's candidate root, `<mount>/NPKI`, kept on the drive by its boundary. */
  driveRoot(d: DriveVolume): NpkiRoot {
    return { path: resolve(join(d.mountPoint, NPKI_DIR)), source: 'drive', location: 'usb', label: d.label ?? d.mountPoint, boundary: d.mountPoint, readOnly: d.readOnly }
  }

  /** Each mounted drive with its NPKI folder and whether the policy follows it. */
  async driveFolders(): Promise<DriveFolder[]> {
    const [drives, roots] = await Promise.all([this.drives(), this.driveRoots()])
    return drives.map((drive) => {
      const path = this.driveRoot(drive).path
      const root = roots.find((r) => r.boundary === drive.mountPoint)
      return root ? { drive, path, root, hasNpki: existsSync(path) } : { drive, path, hasNpki: false }
    })
  }

  /** Every root, the computer's first, then the drives'; one entry per real folder. */
  async roots(): Promise<NpkiRoot[]> {
    const [extra, drives] = await Promise.all([this.opts.extraRoots?.() ?? [], this.drives()])
    const candidates = npkiRoots({ extra, env: this.env(), ...(this.opts.platform ? { platform: this.opts.platform } : {}) })
    for (const d of drives) {
      candidates.push(this.driveRoot(d))
    }
    const seen = new Set<string>()
    const out: NpkiRoot[] = []
    for (const r of candidates) {
      if (!rootIsFollowed(r)) continue
      const key = folderKey(r.path)
      if (seen.has(key)) continue
      seen.add(key)
      out.push(r)
    }
    return out
  }

  /** The computer's roots (OS or CERTMGR_NPKI_ROOTS, and settings'). */
  async pcRoots(): Promise<NpkiRoot[]> {
    return (await this.roots()).filter((r) => r.location === 'pc')
  }

  /** The mounted drives' roots. */
  async driveRoots(): Promise<NpkiRoot[]> {
    return (await this.roots()).filter((r) => r.location === 'usb')
  }

  /** Where a certificate goes when the user names no folder: the OS's main NPKI folder (CERTMGR_NPKI_ROOTS's first). */
  defaultRoot(): string {
    const first = npkiRoots({ env: this.env(), ...(this.opts.platform ? { platform: this.opts.platform } : {}) })[0]
    if (!first) throw new CertError('NOT_FOUND', 'no NPKI folder is known on this computer')
    return first.path
  }

  /**
   * The root a caller named (the renderer picks from lists main made), or FORBIDDEN when it is
   * none of ours. Compared by real folder, so another spelling of a known root is that root.
   */
  async requireRoot(path: string, locations: readonly ('pc' | 'usb')[] = ['pc', 'usb']): Promise<NpkiRoot> {
    const key = folderKey(path)
    const hit = (await this.roots()).find((r) => locations.includes(r.location as 'pc' | 'usb') && (resolve(r.path) === resolve(path) || folderKey(r.path) === key))
    if (!hit) {
      if (locations.length === 1 && locations[0] === 'usb') throw new CertError('IO', 'the removable drive is no longer connected', { reason: 'device' })
      throw new CertError('FORBIDDEN', 'that folder is not one of the NPKI folders')
    }
    return hit
  }

  /** Whether new certificates may be stored in this root now. */
  async isWritable(root: NpkiRoot): Promise<boolean> {
    if (root.readOnly) return false
    if (!rootIsFollowed(root)) return false
    return canWrite(root.path)
  }

  /**
   * A root named on the command line: the folder itself, or its `NPKI` folder when it holds
   * one (a drive's root, a home folder), so `certmgr list --root /media/usb` finds the stick's
   * certificates. A CA is never named NPKI, so the two cannot be confused.
   */
  given(dir: string): NpkiRoot {
    const abs = resolve(dir)
    const inner = join(abs, NPKI_DIR)
    let holdsNpki: boolean
    try {
      holdsNpki = statSync(inner).isDirectory() && (realPathOf(inner) === undefined || isInside(realPathOf(abs) ?? abs, realPathOf(inner)!))
    } catch {
      holdsNpki = false
    }
    return holdsNpki ? { path: inner, source: 'settings', location: 'pc', boundary: abs } : { path: abs, source: 'settings', location: 'pc' }
  }

  /** Every certificate in every root, with each root's report. */
  async scan(now: Date = new Date()): Promise<{ certs: FoundCert[]; roots: RootReport[] }> {
    return scanRoots(await this.roots(), now)
  }
}

/**
 * The drives the OS reports, asked once and only when first needed: a run that never looks at
 * drives (a `--root` list, a copy) never spawns lsblk / PowerShell / diskutil.
 */
export function drivesOnDemand(opts: { platform?: NodeJS.Platform; run?: ToolRunner } = {}): () => Promise<DriveVolume[]> {
  let listing: Promise<DriveVolume[]> | undefined
  return () => (listing ??= listDrives(opts))
}

/**
 * The policy for this computer, as the app and the CLI both build it: the OS's folders (or
 * CERTMGR_NPKI_ROOTS), the extra roots of the app's settings (`settings.json` in the data
 * folder: the app's own store, or for the CLI one over `defaultDataDir()`, the same folder),
 * and the mounted drives, from `drives` (the app's drive watcher) or by default asked of the
 * OS on first need (the CLI, once per run).
 */
export function systemRootPolicy(
  opts: Omit<RootPolicyOptions, 'drives' | 'extraRoots'> & {
    /** The settings store whose extraRoots are roots; read at every question, so a change in settings counts at once. */
    settings?: SettingsStore
    drives?: RootPolicyOptions['drives']
    driveTool?: ToolRunner
  } = {},
): RootPolicy {
  const { driveTool, drives, settings, ...rest } = opts
  return new RootPolicy({
    ...rest,
    ...(settings ? { extraRoots: async () => (await settings.get()).extraRoots } : {}),
    drives: drives ?? drivesOnDemand({ ...(rest.platform ? { platform: rest.platform } : {}), ...(driveTool ? { run: driveTool } : {}) }),
  })
}
