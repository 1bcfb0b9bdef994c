import { readdir } from 'node:fs/promises'
import { dirname, join, relative, resolve, isAbsolute, sep } from 'node:path'
import { CertError } from '../../shared/errors'

/** What the picker lists: sub-folders always, and files only when they are PFX files. */
export type BrowsePurpose = 'open-pfx' | 'save-pfx' | 'folder'

export interface BrowseEntry {
  name: string
  path: string
  kind: 'folder' | 'file'
}

export interface BrowseResult {
  dir: string
  /** The folder above, or null when `dir` is the top of its place. */
  parent: string | null
  entries: BrowseEntry[]
  truncated: boolean
}

/** A folder with more entries than this is listed in part (a hostile or huge folder stays cheap). */
export const MAX_ENTRIES = 2000

const PFX = /\.(pfx|p12)$/i

/** True when `path` is `top` or inside it. */
export function isInside(top: string, path: string): boolean {
  const rel = relative(resolve(top), resolve(path))
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** The place `dir` belongs to (the deepest one when places nest), or undefined. */
export function placeOf(places: readonly string[], dir: string): string | undefined {
  return places
    .filter((p) => isInside(p, dir))
    .sort((a, b) => resolve(b).length - resolve(a).length)[0]
}

/**
 * Lists one folder for the picker: sub-folders, plus .pfx/.p12 files unless only a folder is
 * being chosen; hidden entries are left out, folders first, then by name. `dir` must lie inside
 * one of `places` (main's list: home, drives, NPKI folders), so the picker cannot wander the
 * whole file system on the page's behalf.
 */
export async function browseFolder(places: readonly string[], dir: string, purpose: BrowsePurpose): Promise<BrowseResult> {
  if (!isAbsolute(dir)) throw new CertError('BAD_REQUEST', 'the folder must be an absolute path')
  const full = resolve(dir)
  const place = placeOf(places, full)
  if (!place) throw new CertError('FORBIDDEN', 'that folder is not one the picker offers')
  let names: import('node:fs').Dirent[]
  try {
    names = await readdir(full, { withFileTypes: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CertError('NOT_FOUND', 'the folder no longer exists')
    throw new CertError('IO', 'the folder cannot be read', { reason: code === 'EACCES' || code === 'EPERM' ? 'permission' : 'other', side: 'source' })
  }
  const entries: BrowseEntry[] = []
  let truncated = false
  for (const d of names) {
    if (d.name.startsWith('.')) continue
    const isDir = d.isDirectory()
    if (!isDir && (purpose === 'folder' || !d.isFile() || !PFX.test(d.name))) continue
    if (entries.length >= MAX_ENTRIES) {
      truncated = true
      break
    }
    entries.push({ name: d.name, path: join(full, d.name), kind: isDir ? 'folder' : 'file' })
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1))
  const parent = resolve(full) === resolve(place) ? null : dirname(full)
  return { dir: full.endsWith(sep) && full.length > 1 ? full.slice(0, -1) : full, parent, entries, truncated }
}
