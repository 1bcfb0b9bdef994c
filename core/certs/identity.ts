import { createHash } from 'node:crypto'
import { statSync, type Stats } from 'node:fs'
import { resolve } from 'node:path'
import { realPathOf } from '../roots/links'

/**
 * A certificate's handle, from the real folder (device, inode and the path with every link
 * resolved), never from the path string it was reached by: a second path to the same folder
 * (an extra root that is a link to an OS root) gives the same id, so it shares the wrong
 * password count and cannot be listed twice.
 */
export function folderId(realPath: string, st: Pick<Stats, 'dev' | 'ino'>): string {
  return 'c' + createHash('sha256').update(`${st.dev}:${st.ino}:${realPath}`).digest('base64url').slice(0, 22)
}

/** The id of the folder at `path` (any spelling of it); a folder that is gone gets one from its resolved path. */
export function certIdFor(path: string): string {
  const real = realPathOf(path)
  if (real !== undefined) {
    try {
      return folderId(real, statSync(real))
    } catch {
      /* vanished between the two calls */
    }
  }
  return 'c' + createHash('sha256').update(resolve(path)).digest('base64url').slice(0, 22)
}
