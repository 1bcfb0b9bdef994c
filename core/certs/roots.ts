import { homedir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'

export type RootSource = 'os' | 'settings' | 'env' | 'drive'

export interface NpkiRoot {
  path: string
  source: RootSource
  /** 'pc' for the computer's folders, 'usb' for a removable drive, 'file' for a PFX's folder. */
  location: 'pc' | 'usb' | 'file'
  /** Drive label or mount point, for removable roots. */
  label?: string
  /**
   * The folder this root must stay inside once links are resolved: a drive's mount point, so
   * a stick whose NPKI folder is a link to the PC's is not taken for a root on the stick.
   */
  boundary?: string
  /** The medium is mounted read-only (a drive). */
  readOnly?: boolean
}

/** The NPKI roots Korean software uses on each OS (NPKI.md §1). */
export function osNpkiRoots(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  if (platform === 'win32') {
    const profile = env.USERPROFILE ?? home
    return [
      join(profile, 'AppData', 'LocalLow', 'NPKI'),
      join(env.ProgramFiles ?? 'C:\\Program Files', 'NPKI'),
      join(env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)', 'NPKI'),
      join(profile, 'Documents', 'NPKI'),
    ]
  }
  if (platform === 'darwin') return [join(home, 'Library', 'Preferences', 'NPKI'), join(home, 'Documents', 'NPKI'), join(home, 'NPKI')]
  return [join(home, 'NPKI')]
}

/**
 * The candidate roots, in order, before the root policy (core/roots/root-policy.ts) drops
 * duplicates by real folder and applies the link rules; only the policy calls this.
 * Every root to search: CERTMGR_NPKI_ROOTS (a path list, used by tests and scripts) replaces
 * the OS defaults when set, so a test never reads the real user's certificates; roots from
 * settings and drives are added; duplicates are dropped.
 */
export function npkiRoots(opts: { extra?: string[]; drives?: { path: string; label?: string }[]; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): NpkiRoot[] {
  const env = opts.env ?? process.env
  const out: NpkiRoot[] = []
  const seen = new Set<string>()
  const add = (p: string, source: RootSource, location: 'pc' | 'usb', label?: string) => {
    const abs = resolve(p)
    if (seen.has(abs)) return
    seen.add(abs)
    out.push(label ? { path: abs, source, location, label } : { path: abs, source, location })
  }
  const fromEnv = env.CERTMGR_NPKI_ROOTS
  if (fromEnv) for (const p of fromEnv.split(delimiter).filter(Boolean)) add(p, 'env', 'pc')
  else for (const p of osNpkiRoots(opts.platform ?? process.platform, env)) add(p, 'os', 'pc')
  for (const p of opts.extra ?? []) add(p, 'settings', 'pc')
  for (const d of opts.drives ?? []) add(d.path, 'drive', 'usb', d.label)
  return out
}
