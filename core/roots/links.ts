import { lstatSync, realpathSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { CertError } from '../../shared/errors'
import type { NpkiRoot } from '../certs/roots'

/** The real path of an existing file or folder (every link resolved), or undefined. */
export function realPathOf(path: string): string | undefined {
  try {
    return realpathSync.native(path)
  } catch {
    return undefined
  }
}

/** Whether `inner` is `outer` itself or below it; both absolute. */
export function isInside(outer: string, inner: string): boolean {
  const rel = relative(outer, inner)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith('..' + sep))
}

/**
 * Refuses to act on `target` when a folder between `root` and it is a link, or when it is not
 * below `root` at all. What is shown is found without links (see scanRoots), so this catches a
 * folder swapped for a link after the list was made, and a destination whose CA folder is a
 * link (a stick whose NPKI/yessign points at the PC's would otherwise take the write, or the
 * delete, onto the PC's certificate). Parts that do not exist yet are fine: they will be made
 * as real folders. The root itself may be a link the user configured.
 */
export function assertNoLinkBelow(root: string, target: string): void {
  const base = resolve(root)
  const rel = relative(base, resolve(target))
  if (rel !== '' && (isAbsolute(rel) || rel === '..' || rel.startsWith('..' + sep))) {
    throw new CertError('FORBIDDEN', 'that folder is not inside its NPKI folder', { reason: 'outside-root' })
  }
  let cur = base
  for (const part of rel.split(sep).filter(Boolean)) {
    cur = join(cur, part)
    let isLink: boolean
    try {
      isLink = lstatSync(cur).isSymbolicLink()
    } catch {
      return // does not exist (yet): nothing below it can be a link either
    }
    if (isLink) throw new CertError('FORBIDDEN', `a folder on the way is a link, so it is not followed: ${cur}`, { reason: 'link' })
  }
}

/** Whether a root's real folder stays inside its boundary (a drive's NPKI on that drive). */
export function rootIsFollowed(root: NpkiRoot): boolean {
  if (!root.boundary) return true
  const real = realPathOf(root.path)
  if (real === undefined) return true // not there yet: it will be made as a real folder
  const bound = realPathOf(root.boundary)
  return bound !== undefined && isInside(bound, real)
}

