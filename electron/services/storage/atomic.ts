import { randomBytes } from 'node:crypto'
import { promises as nodeFs } from 'node:fs'
import { dirname, join, basename } from 'node:path'

/**
 * The file-system calls atomic writes need. Production uses node:fs; reliability tests inject
 * a layer that fails with ENOSPC, EROFS or EIO at chosen moments.
 */
export interface FsLayer {
  mkdir(path: string, opts: { recursive: true }): Promise<unknown>
  open(path: string, flags: string, mode?: number): Promise<{ write(data: Uint8Array): Promise<unknown>; sync(): Promise<void>; close(): Promise<void> }>
  rename(from: string, to: string): Promise<void>
  rm(path: string, opts: { recursive: true; force: true }): Promise<void>
  readdir(path: string): Promise<string[]>
  stat(path: string): Promise<{ isDirectory(): boolean }>
}

export const realFs: FsLayer = {
  mkdir: (p, o) => nodeFs.mkdir(p, o),
  open: (p, f, m) => nodeFs.open(p, f, m),
  rename: (a, b) => nodeFs.rename(a, b),
  rm: (p, o) => nodeFs.rm(p, o),
  readdir: (p) => nodeFs.readdir(p),
  stat: (p) => nodeFs.stat(p),
}

async function fsyncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable on Linux/macOS; Windows cannot open directories.
  if (process.platform === 'win32') return
  try {
    const h = await nodeFs.open(dir, 'r')
    try {
      await h.sync()
    } finally {
      await h.close()
    }
  } catch {
    /* some file systems refuse directory fsync; the rename is still atomic */
  }
}

async function writeAndSync(fs: FsLayer, path: string, data: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'wx', 0o600)
  try {
    await h.write(data)
    await h.sync()
  } finally {
    await h.close()
  }
}

/** Hidden siblings the atomic writers leave behind when a process dies mid-write. */
export const LEFTOVER_RE = /^\..+\.[0-9a-f]{12}\.(tmp|old|del)$/

/** Whether a directory entry is one of those leftovers (listings must skip them). */
export function isLeftover(name: string): boolean {
  return LEFTOVER_RE.test(name)
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * Cleans up after a write of `dest` that was killed: a `.tmp` is an unfinished copy and goes;
 * an `.old` is the previous folder, put back when the kill came between the two renames (so
 * `dest` is missing) and removed otherwise; a `.del` is a folder already on its way out.
 */
export async function recoverFolder(dest: string, fs: FsLayer = realFs): Promise<void> {
  const parent = dirname(dest)
  let names: string[]
  try {
    names = await fs.readdir(parent)
  } catch {
    return
  }
  const re = new RegExp(`^\\.${escapeRe(basename(dest))}\\.[0-9a-f]{12}\\.(tmp|old|del)$`)
  const mine = names.filter((n) => re.test(n))
  if (mine.length === 0) return
  let destExists = await fs.stat(dest).then(() => true, () => false)
  for (const n of mine) {
    const p = join(parent, n)
    if (n.endsWith('.old') && !destExists) {
      const restored = await fs.rename(p, dest).then(() => true, () => false)
      if (restored) {
        destExists = true
        continue
      }
    }
    await fs.rm(p, { recursive: true, force: true }).catch(() => undefined)
  }
}

/**
 * Removes a folder so that it is either all there or all gone: renamed to a hidden `.del`
 * sibling first (atomic), then deleted. A kill in between leaves only a hidden leftover that
 * listings skip and the next write beside it cleans.
 */
export async function removeFolderAtomic(path: string, fs: FsLayer = realFs): Promise<void> {
  const gone = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.del`)
  await fs.rename(path, gone)
  await fsyncDir(dirname(path))
  await fs.rm(gone, { recursive: true, force: true }).catch(() => undefined)
}

/** Replaces one file atomically: write a temp file beside it, fsync, rename over. */
export async function writeFileAtomic(path: string, data: Uint8Array, fs: FsLayer = realFs): Promise<void> {
  const dir = dirname(path)
  await fs.mkdir(dir, { recursive: true })
  await recoverFolder(path, fs)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeAndSync(fs, tmp, data)
    await fs.rename(tmp, path)
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw err
  }
  await fsyncDir(dir)
}

/**
 * Creates a whole certificate folder at once: every file is written into a hidden sibling
 * temp folder, synced, and the folder renamed into place, so the certificate and its key land
 * together or not at all. Fails with EEXIST-like CONFLICT handling left to the caller: when
 * `dest` exists it is not touched unless `replace` is set, in which case the old folder is
 * renamed aside first and removed only after the new one is in place.
 */
export async function writeFolderAtomic(
  dest: string,
  files: Record<string, Uint8Array>,
  opts: { replace?: boolean; fs?: FsLayer } = {},
): Promise<void> {
  const fs = opts.fs ?? realFs
  const parent = dirname(dest)
  await fs.mkdir(parent, { recursive: true })
  await recoverFolder(dest, fs)
  const tag = randomBytes(6).toString('hex')
  const tmp = join(parent, `.${basename(dest)}.${tag}.tmp`)
  const aside = join(parent, `.${basename(dest)}.${tag}.old`)
  let movedAside = false
  try {
    await fs.mkdir(tmp, { recursive: true })
    // In parallel: the fsyncs then share journal commits. Wait for every write to settle
    // before cleaning up, so none lands in the temp folder after it was removed.
    const results = await Promise.allSettled(Object.entries(files).map(([name, data]) => writeAndSync(fs, join(tmp, name), data)))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    await fsyncDir(tmp)
    const exists = await fs.stat(dest).then(() => true, () => false)
    if (exists) {
      if (!opts.replace) {
        const e = new Error(`destination exists: ${dest}`) as Error & { code: string }
        e.code = 'EEXIST'
        throw e
      }
      await fs.rename(dest, aside)
      movedAside = true
    }
    await fs.rename(tmp, dest)
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    if (movedAside) await fs.rename(aside, dest).catch(() => undefined)
    throw err
  }
  await fsyncDir(parent)
  if (movedAside) await fs.rm(aside, { recursive: true, force: true }).catch(() => undefined)
}
