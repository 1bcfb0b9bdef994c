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
 * The computer's candidate roots, in order, before the root policy (core/roots/root-policy.ts)
 * adds the mounted drives, drops duplicates by real folder and applies the link rules; only
 * the policy calls this. CERTMGR_NPKI_ROOTS (a path list, used by tests and scripts) replaces
 * the OS defaults when set, so a test never reads the real user's certificates; roots from
 * settings are added; the same path twice is dropped.
 */
export function npkiRoots(opts: { extra?: string[]; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): NpkiRoot[] {
  const env = opts.env ?? process.env
  const out: NpkiRoot[] = []
  const seen = new Set<string>()
  const add = (p: string, source: RootSource) => {
    const abs = resolve(p)
    if (seen.has(abs)) return
    seen.add(abs)
    out.push({ path: abs, source, location: 'pc' })
  }
  const fromEnv = env.CERTMGR_NPKI_ROOTS
  if (fromEnv) for (const p of fromEnv.split(delimiter).filter(Boolean)) add(p, 'env')
  else for (const p of osNpkiRoots(opts.platform ?? process.platform, env)) add(p, 'os')
  for (const p of opts.extra ?? []) add(p, 'settings')
  return out
}
