import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as nodeCb from 'node:fs'
import { promises as nodeFs } from 'node:fs'
import { release } from 'node:os'
import { dirname, join, basename } from 'node:path'
import { performance } from 'node:perf_hooks'
import { cancelledError } from '../progress/file-stages'

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
  /**
   * Flushes everything written so far on the file system holding `dir` (data and metadata), in
   * one call. Resolves false when that cannot be done here (the batched writer then fsyncs each
   * file through `open`), throws when the flush itself reported an I/O error. Layers without it
   * get per-file fsyncs, which is also what failure-injection layers exercise.
   */
  syncFileSystem?(dir: string): Promise<boolean>
}

const SYNCFS_REPORTS_ERRORS = ((): boolean => {
  const [major = 0, minor = 0] = release().split('.').map((n) => parseInt(n, 10))
  return major > 5 || (major === 5 && minor >= 8)
})()

// Absolute paths: the main process must not run whatever `sync` happens to be first on PATH.
const SYNC_BINARIES = ['/usr/bin/sync', '/bin/sync']

/**
 * Linux `syncfs(2)` via coreutils `sync -f` (Node has no binding). syncfs writes back every dirty
 * page and inode of that one file system and commits its journal, and since Linux 5.8 it reports
 * write-back errors. A non-zero exit cannot be told apart from an old coreutils without `-f`, so
 * it resolves false and the caller falls back to per-file fsync, which then surfaces any real error.
 */
async function syncFileSystemLinux(dir: string): Promise<boolean> {
  // Before 5.8 syncfs returned 0 even when write-back had failed: only fsync would tell.
  if (!SYNCFS_REPORTS_ERRORS) return false
  for (const bin of SYNC_BINARIES) {
    const r = await new Promise<'ok' | 'missing' | 'failed'>((done) => {
      execFile(bin, ['-f', dir], { windowsHide: true }, (err) => {
        if (!err) done('ok')
        else done((err as { code?: unknown }).code === 'ENOENT' ? 'missing' : 'failed')
      })
    })
    if (r === 'ok') return true
    if (r === 'failed') return false
  }
  return false
}

function call<T>(f: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((res, rej) => f((err, value) => (err ? rej(err) : res(value))))
}

function callVoid(f: (done: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((res, rej) => f((err) => (err ? rej(err) : res())))
}

/**
 * A bare descriptor behind the FsLayer handle: node's FileHandle costs several times more per
 * call than the callback API, which a batch of thousands of small files pays in full.
 */
async function openFd(path: string, flags: string, mode?: number): Promise<{ write(data: Uint8Array): Promise<unknown>; sync(): Promise<void>; close(): Promise<void> }> {
  const fd = await call<number>((d) => nodeCb.open(path, flags, mode, d))
  return {
    async write(data: Uint8Array) {
      let off = 0
      while (off < data.length) off += await call<number>((d) => nodeCb.write(fd, data, off, data.length - off, null, d))
      return off
    },
    sync: () => callVoid((d) => nodeCb.fsync(fd, d)),
    close: () => callVoid((d) => nodeCb.close(fd, d)),
  }
}

export const realFs: FsLayer = {
  mkdir: (p, o) => nodeFs.mkdir(p, o),
  open: openFd,
  rename: (a, b) => callVoid((d) => nodeCb.rename(a, b, d)),
  rm: (p, o) => nodeFs.rm(p, o),
  readdir: (p) => call<string[]>((d) => nodeCb.readdir(p, d)),
  stat: (p) => call<nodeCb.Stats>((d) => nodeCb.stat(p, d)),
  // Elsewhere `sync` flushes every disk (or, on macOS, does not wait for it): per-file fsync instead.
  ...(process.platform === 'linux' ? { syncFileSystem: syncFileSystemLinux } : {}),
}

/**
 * The same layer with the small, page-cache-bound calls made synchronously and handed back as
 * settled promises; fsyncs, the file-system flush and removals stay asynchronous. A threadpool
 * round trip can cost several times the system call it carries (about five times, measured on
 * a 2-core VM), and a batch of a thousand folders makes some twenty thousand of them. Each call
 * blocks the thread only for its own system call, and the batched writer lets the event loop
 * run every few milliseconds. A caller that must never block (a hung drive would stall it)
 * passes `realFs` instead.
 */
export const directFs: FsLayer = {
  mkdir: async (p, o) => nodeCb.mkdirSync(p, o),
  async open(p, f, m) {
    const fd = nodeCb.openSync(p, f, m)
    return {
      async write(data: Uint8Array) {
        let off = 0
        while (off < data.length) off += nodeCb.writeSync(fd, data, off, data.length - off)
        return off
      },
      sync: () => callVoid((d) => nodeCb.fsync(fd, d)),
      close: async () => nodeCb.closeSync(fd),
    }
  },
  rename: async (a, b) => nodeCb.renameSync(a, b),
  rm: (p, o) => nodeFs.rm(p, o),
  readdir: async (p) => nodeCb.readdirSync(p),
  stat: async (p) => nodeCb.statSync(p),
  ...(process.platform === 'linux' ? { syncFileSystem: syncFileSystemLinux } : {}),
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

async function writeAndSync(fs: FsLayer, path: string, data: Uint8Array, sync = true): Promise<void> {
  const h = await fs.open(path, 'wx', 0o600)
  try {
    await h.write(data)
    if (sync) await h.sync()
  } finally {
    await h.close()
  }
}

/** fsync of a file already written and closed: the page cache is per inode, not per handle. */
async function syncExisting(fs: FsLayer, path: string): Promise<void> {
  const h = await fs.open(path, 'r+')
  try {
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

// The same shape as LEFTOVER_RE, with the folder the leftover belongs to captured.
const LEFTOVER_PARTS_RE = /^\.(.+)\.[0-9a-f]{12}\.(tmp|old|del)$/

/**
 * Cleans up after a write of `dest` that was killed: a `.tmp` is an unfinished copy and goes;
 * an `.old` is the previous folder, put back when the kill came between the two renames (so
 * `dest` is missing) and removed otherwise; a `.del` is a folder already on its way out.
 */
export async function recoverFolder(dest: string, fs: FsLayer = realFs): Promise<void> {
  await recoverFolders(dirname(dest), [basename(dest)], fs)
}

/**
 * `recoverFolder` for many folders of one parent with a single listing of it: a batch of a
 * thousand folders must not list a thousand-entry folder a thousand times.
 */
export async function recoverFolders(parent: string, folderNames: readonly string[], fs: FsLayer = realFs): Promise<void> {
  let names: string[]
  try {
    names = await fs.readdir(parent)
  } catch {
    return
  }
  const wanted = new Set(folderNames)
  const byFolder = new Map<string, string[]>()
  for (const n of names) {
    const m = LEFTOVER_PARTS_RE.exec(n)
    if (!m || !wanted.has(m[1]!)) continue
    const list = byFolder.get(m[1]!) ?? []
    list.push(n)
    byFolder.set(m[1]!, list)
  }
  for (const [name, mine] of byFolder) {
    const dest = join(parent, name)
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
 * writeFileAtomic for synchronous callers (a count updated inside a PKCS#11 session, under
 * withFileLockSync): the same temp file, fsync, rename and directory fsync.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const dir = dirname(path)
  nodeCb.mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const fd = nodeCb.openSync(tmp, 'wx', 0o600)
    try {
      nodeCb.writeSync(fd, data)
      nodeCb.fsyncSync(fd)
    } finally {
      nodeCb.closeSync(fd)
    }
    nodeCb.renameSync(tmp, path)
  } catch (err) {
    nodeCb.rmSync(tmp, { force: true })
    throw err
  }
  if (process.platform === 'win32') return
  try {
    const fd = nodeCb.openSync(dir, 'r')
    try {
      nodeCb.fsyncSync(fd)
    } finally {
      nodeCb.closeSync(fd)
    }
  } catch {
    /* some file systems refuse directory fsync; the rename is still atomic */
  }
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

/** One folder of a batched write: the same inputs as `writeFolderAtomic`. */
export interface FolderWrite {
  dest: string
  files: Record<string, Uint8Array>
  replace?: boolean
}

/** Per folder: written (and whether a folder was replaced), or the file-system error that stopped it. */
export type FolderWriteOutcome = { ok: true; replaced: boolean } | { ok: false; error: unknown }

export interface BatchWriteOptions {
  /** Default `directFs`. */
  fs?: FsLayer
  /** Folders staged or renamed at once (each open temp folder holds a few file handles). */
  concurrency?: number
  /**
   * Smallest batch that flushes the whole file system instead of fsyncing file by file: a
   * file-system flush also writes out unrelated dirty data, which only pays off for many folders.
   */
  bulkFlushMin?: number
  /**
   * Heard between folders: once aborted, no further folder is staged or renamed into place
   * (its temp copy is removed and it fails with CANCELLED); folders already renamed stay, whole
   * and flushed. No folder is ever left half-written.
   */
  signal?: AbortSignal
  /** Called once per folder renamed into place (for progress). */
  onPlaced?: () => void
}

function existsError(dest: string): Error {
  const e = new Error(`destination exists: ${dest}`) as Error & { code: string }
  e.code = 'EEXIST'
  return e
}

const YIELD_AFTER_MS = 4

/** Runs `fn` over `items`, `limit` at a time, letting the event loop in between items. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let ranSince = performance.now()
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      await fn(items[next++]!)
      // With `directFs` every call has already settled, so without this the event loop would
      // not run until the whole batch is done; every few milliseconds is often enough.
      if (performance.now() - ranSince > YIELD_AFTER_MS) {
        await new Promise<void>((r) => setImmediate(r))
        ranSince = performance.now()
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

/**
 * Writes many certificate folders with the guarantees of `writeFolderAtomic` for each one, but
 * flushing in bulk. Folders are independent: each result says whether that folder landed; a
 * failure removes only that folder's temp copy, and folders renamed into place stay.
 *
 * Why it is durable: (1) every folder is written in full into a hidden `.<name>.<tag>.tmp`
 * sibling; (2) all of them are flushed before any rename, either by one file-system flush per
 * parent (syncfs: all data, inodes and directory entries, journal committed) or, where that is
 * unavailable or failed, by an fsync of every file and temp folder; (3) each temp folder is
 * renamed into place (atomic, so a name shows either the old folder or the complete new one);
 * (4) each distinct parent folder is fsynced once, which makes its renames durable. A crash
 * before (4) leaves complete folders or hidden leftovers that `recoverFolder` sweeps.
 */
export async function writeFoldersAtomic(items: readonly FolderWrite[], opts: BatchWriteOptions = {}): Promise<FolderWriteOutcome[]> {
  const fs = opts.fs ?? directFs
  const limit = opts.concurrency ?? 32
  const out: (FolderWriteOutcome | undefined)[] = items.map(() => undefined)
  const tmps: string[] = items.map(() => '')
  const asides: string[] = []
  const pending = (idx: readonly number[]): number[] => idx.filter((i) => out[i] === undefined)
  const fail = async (i: number, error: unknown): Promise<void> => {
    out[i] = { ok: false, error }
    if (tmps[i]) await fs.rm(tmps[i]!, { recursive: true, force: true }).catch(() => undefined)
  }

  const byParent = new Map<string, number[]>()
  const seen = new Set<string>()
  items.forEach((it, i) => {
    // Two writes of one folder in a batch would race each other's renames.
    if (seen.has(it.dest)) return void (out[i] = { ok: false, error: existsError(it.dest) })
    seen.add(it.dest)
    const parent = dirname(it.dest)
    const group = byParent.get(parent)
    if (group) group.push(i)
    else byParent.set(parent, [i])
  })

  for (const [parent, idx] of byParent) {
    try {
      await fs.mkdir(parent, { recursive: true })
      await recoverFolders(parent, idx.map((i) => basename(items[i]!.dest)), fs)
    } catch (err) {
      for (const i of idx) await fail(i, err)
    }
  }

  const bulk = fs.syncFileSystem !== undefined && items.length >= (opts.bulkFlushMin ?? 8)
  const tags = randomBytes(6 * items.length).toString('hex')
  await eachLimited(pending([...items.keys()]), limit, async (i) => {
    if (opts.signal?.aborted) return void (out[i] = { ok: false, error: cancelledError() })
    const it = items[i]!
    tmps[i] = join(dirname(it.dest), `.${basename(it.dest)}.${tags.slice(12 * i, 12 * i + 12)}.tmp`)
    try {
      await fs.mkdir(tmps[i]!, { recursive: true })
      // Wait for every write to settle before cleaning up, so none lands after the removal.
      const results = await Promise.allSettled(Object.entries(it.files).map(([name, data]) => writeAndSync(fs, join(tmps[i]!, name), data, !bulk)))
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
      if (!bulk) await fsyncDir(tmps[i]!)
    } catch (err) {
      await fail(i, err)
    }
  })

  if (bulk) {
    for (const [parent, idx] of byParent) {
      const staged = pending(idx)
      if (staged.length === 0) continue
      let flushed: boolean
      try {
        flushed = await fs.syncFileSystem!(parent)
      } catch (err) {
        for (const i of staged) await fail(i, err)
        continue
      }
      if (flushed) continue
      await eachLimited(staged, limit, async (i) => {
        try {
          const results = await Promise.allSettled(Object.keys(items[i]!.files).map((name) => syncExisting(fs, join(tmps[i]!, name))))
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
          if (failed) throw failed.reason
          await fsyncDir(tmps[i]!)
        } catch (err) {
          await fail(i, err)
        }
      })
    }
  }

  // With a cancel to hear, folders are placed one after another, so a cancel after one of them
  // stops the next (the renames are cheap; with directFs they are synchronous anyway).
  await eachLimited(pending([...items.keys()]), opts.signal ? 1 : limit, async (i) => {
    const { dest, replace } = items[i]!
    // The last point a cancel is heard for this folder: after it the folder is placed whole.
    if (opts.signal?.aborted) return void (await fail(i, cancelledError()))
    const aside = tmps[i]!.replace(/\.tmp$/, '.old')
    let movedAside = false
    try {
      if (replace && (await fs.stat(dest).then(() => true, () => false))) {
        await fs.rename(dest, aside)
        movedAside = true
      }
      // Without `replace`, no stat first: a rename onto a folder with anything in it fails, and
      // the stat is made only then, to tell "something is there" from other errors. (An empty
      // folder that appeared since the caller looked is replaced; it held no certificate.)
      await fs.rename(tmps[i]!, dest).catch(async (err: unknown) => {
        if (!movedAside && (await fs.stat(dest).then(() => true, () => false))) throw existsError(dest)
        throw err
      })
      out[i] = { ok: true, replaced: movedAside }
      if (movedAside) asides.push(aside)
      opts.onPlaced?.()
    } catch (err) {
      await fail(i, err)
      if (movedAside) await fs.rename(aside, dest).catch(() => undefined)
    }
  })

  for (const [parent, idx] of byParent) if (idx.some((i) => out[i]?.ok)) await fsyncDir(parent)
  await eachLimited(asides, limit, (p) => fs.rm(p, { recursive: true, force: true }).catch(() => undefined))
  return out.map((o) => o ?? { ok: false, error: new Error('not written') })
}
