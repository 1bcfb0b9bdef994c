import * as nodeFs from 'node:fs'
import type { Dirent, Stats } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { CertError } from '../../shared/errors'
import { directFs, eachLimited, recoverFolders, writeFoldersAtomic, type FolderWrite } from './atomic'
import { fileNamed, ioError, placementOf, sameFiles, type CertFiles } from './folder'
import { checkPassword, conflictError, findDirCaseInsensitive, readExisting, samePlace, type CopyOptions, type CopyOutcome, type StorageDeps } from './operations'
import { assertNoLinkBelow } from '../roots/links'
import { cancelledError } from '../progress/file-stages'
import { REGULAR_READ_FLAGS } from './regular-file'

/**
 * What became of one folder of a batch copy, in the order the sources were given. A failed
 * folder changed nothing under its final name (its temp copy is removed; a folder it was to
 * replace is kept); `path` is there once the destination was known. A source named twice, or
 * two sources with the very same files, write once: the later one reports 'identical' (or the
 * first one's failure); two different certificates for one folder make the later one fail with
 * CONFLICT / reason 'batch-duplicate', overwrite or not. A folder a cancel stopped before it was
 * placed fails with CANCELLED and changed nothing.
 */
export type BatchCopyResult =
  | { source: string; path: string; outcome: CopyOutcome }
  | { source: string; path?: string; outcome: 'failed'; error: CertError }

/** Sources read, passwords checked and destinations compared this many at a time. */
const PREPARE_CONCURRENCY = 64

interface Plan {
  source: string
  files: CertFiles
  dest: string
  /** Set once decided without a write (identical, conflict, ...). */
  result?: BatchCopyResult
  /** Another source in this batch that goes to the same folder with the same files. */
  follows?: Plan
}

// The same limit as readCertFiles: anything this large is not a certificate folder.
const MAX_FOLDER_BYTES = 16 * 1024 * 1024

interface ReadIo {
  readdir(dir: string): Promise<Dirent[]>
  isFile(path: string): Promise<boolean>
  open(path: string): Promise<number>
  size(fd: number): Promise<{ file: boolean; size: number }>
  read(fd: number, buf: Uint8Array, off: number): Promise<number>
  close(fd: number): Promise<void>
}

function call<T>(f: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((res, rej) => f((err, value) => (err ? rej(err) : res(value))))
}

const asyncRead: ReadIo = {
  readdir: (dir) => call<Dirent[]>((d) => nodeFs.readdir(dir, { withFileTypes: true }, d)),
  isFile: (p) => call<Stats>((d) => nodeFs.stat(p, d)).then((st) => st.isFile()),
  open: (p) => call<number>((d) => nodeFs.open(p, 'r', d)),
  size: (fd) => call<Stats>((d) => nodeFs.fstat(fd, d)).then((st) => ({ file: st.isFile(), size: st.size })),
  read: (fd, buf, off) => call<number>((d) => nodeFs.read(fd, buf, off, buf.length - off, off, d)),
  close: (fd) => call<void>((d) => nodeFs.close(fd, (err) => d(err, undefined))),
}

// Paired with `directFs`: see there why small-file calls are made synchronously.
const directRead: ReadIo = {
  readdir: async (dir) => nodeFs.readdirSync(dir, { withFileTypes: true }),
  isFile: async (p) => nodeFs.statSync(p).isFile(),
  // Non-blocking, like every reader (regular-file.ts): a FIFO or device must not hang the copy.
  open: async (p) => nodeFs.openSync(p, REGULAR_READ_FLAGS),
  size: async (fd) => {
    const st = nodeFs.fstatSync(fd)
    return { file: st.isFile(), size: st.size }
  },
  read: async (fd, buf, off) => nodeFs.readSync(fd, buf, off, buf.length - off, off),
  close: async (fd) => nodeFs.closeSync(fd),
}

/** A regular file's bytes (undefined for anything else), refused before reading when over `budget`. */
async function readBounded(io: ReadIo, path: string, budget: number): Promise<Uint8Array | undefined> {
  const fd = await io.open(path)
  try {
    const st = await io.size(fd)
    if (!st.file) return undefined
    if (st.size > budget) throw new CertError('BAD_REQUEST', 'the folder is too large to be a certificate folder')
    const buf = new Uint8Array(st.size)
    let off = 0
    while (off < buf.length) {
      const n = await io.read(fd, buf, off)
      if (n === 0) break
      off += n
    }
    return off === buf.length ? buf : buf.slice(0, off)
  } finally {
    await io.close(fd).catch(() => undefined)
  }
}

/**
 * `readCertFiles` with the same rules (visible regular files, symlinks followed, the size cap,
 * sign pair required), in fewer and cheaper calls: directory entry types instead of a stat per
 * file, and no FileHandle objects.
 */
async function readCertFolder(io: ReadIo, folder: string): Promise<CertFiles> {
  let entries: Dirent[]
  try {
    entries = await io.readdir(folder)
  } catch (err) {
    throw ioError(err, 'source')
  }
  const files: CertFiles = {}
  let total = 0
  for (const e of entries) {
    if (e.name.startsWith('.') || !(e.isFile() || e.isSymbolicLink())) continue
    let data: Uint8Array | undefined
    try {
      // A link is followed only to a regular file: opening a FIFO would wait for a writer forever.
      if (e.isSymbolicLink() && !(await io.isFile(join(folder, e.name)))) continue
      data = await readBounded(io, join(folder, e.name), MAX_FOLDER_BYTES - total)
    } catch (err) {
      throw ioError(err, 'source')
    }
    if (!data) continue
    total += data.length
    files[e.name] = data
  }
  if (!fileNamed(files, 'signCert.der')) throw new CertError('NOT_FOUND', 'signCert.der is missing from the certificate folder')
  if (!fileNamed(files, 'signPri.key')) throw new CertError('NOT_FOUND', 'signPri.key is missing from the certificate folder')
  return files
}

function asCertError(err: unknown, side: 'source' | 'destination'): CertError {
  return err instanceof CertError ? err : ioError(err, side)
}

/**
 * Copies many certificate folders into one NPKI root, each as `copyCert` would (same
 * placement, password re-check per folder, identical / CONFLICT / overwrite rules, one atomic
 * folder write each), but written as one batch so the flushes to disk are shared (see
 * `writeFoldersAtomic`). Never throws for a single folder's trouble: every source gets a
 * result, and folders that landed stay even when others failed. Returns once every folder
 * reported copied or replaced is on disk.
 *
 * Stages (`deps.ports`): read (fraction: folders read so far), check, write (fraction: folders
 * placed so far), done. The cancel (`deps.ports.signal`) is heard between folders, up to each
 * folder's final rename: a cancel leaves only whole folders, those already placed, and every
 * other folder gets CANCELLED.
 *
 * By default the small reads and writes are synchronous calls (`directFs`), the fastest way
 * through thousands of small files; in the app's main process, where a hung drive must not
 * stall the event loop, pass `deps.fs = realFs` and every call goes through the threadpool.
 */
export async function copyCerts(sourceFolders: readonly string[], opts: CopyOptions, deps: StorageDeps = {}): Promise<BatchCopyResult[]> {
  const fs = deps.fs ?? directFs
  // Sources follow the destination's choice: a caller that asked for non-blocking I/O gets it for both.
  const io = fs === directFs ? directRead : asyncRead
  const root = resolve(opts.toRoot)
  const results: (BatchCopyResult | undefined)[] = sourceFolders.map(() => undefined)
  const plans: (Plan | undefined)[] = sourceFolders.map(() => undefined)
  const ports = deps.ports
  const total = sourceFolders.length
  const cancelled = (): boolean => ports?.signal?.aborted === true
  let read = 0
  ports?.progress?.('read', 0)

  // Every folder of one CA goes to the same `<root>/<CA>/USER`: look the spelling up once.
  const parents = new Map<string, Promise<string>>()
  const parentFor = (caFolder: string): Promise<string> => {
    let p = parents.get(caFolder)
    if (!p) {
      p = (async () => {
        const ca = await findDirCaseInsensitive(root, caFolder)
        const parent = join(root, ca, await findDirCaseInsensitive(join(root, ca), 'USER'))
        // Never written through a link (see destinationFolder).
        assertNoLinkBelow(root, parent)
        return parent
      })()
      parents.set(caFolder, p)
    }
    return p
  }

  await eachLimited([...sourceFolders.keys()], PREPARE_CONCURRENCY, async (i) => {
    const source = sourceFolders[i]!
    if (cancelled()) return void (results[i] = { source, outcome: 'failed', error: cancelledError() })
    let dest: string | undefined
    try {
      const files = await readCertFolder(io, source)
      if (opts.password !== undefined) checkPassword(files, opts.password, deps.openKey)
      const { caFolder, folderName } = placementOf(files, source)
      dest = join(await parentFor(caFolder), folderName)
      plans[i] = { source, files, dest }
    } catch (err) {
      results[i] = { source, ...(dest ? { path: dest } : {}), outcome: 'failed', error: asCertError(err, 'source') }
    }
    ports?.progress?.('read', ++read / total)
  })
  ports?.progress?.('check', 0)

  // In the order given: the first source for a folder writes it, later ones follow or conflict.
  const claims = new Map<string, Plan>()
  const byParent = new Map<string, Plan[]>()
  for (const plan of plans) {
    if (!plan) continue
    const first = claims.get(plan.dest)
    if (!first) {
      claims.set(plan.dest, plan)
      const parent = dirname(plan.dest)
      const group = byParent.get(parent)
      if (group) group.push(plan)
      else byParent.set(parent, [plan])
    } else if (sameFiles(first.files, plan.files)) {
      plan.follows = first
    } else {
      plan.result = {
        source: plan.source,
        path: plan.dest,
        outcome: 'failed',
        error: new CertError('CONFLICT', 'another folder in this copy holds a different certificate with the same name', { reason: 'batch-duplicate' }),
      }
    }
  }

  for (const [parent, group] of byParent) {
    // A write killed half-way may have left a previous folder aside: put it back before comparing.
    await recoverFolders(parent, group.map((p) => basename(p.dest)), fs).catch(() => undefined)
    const listed = new Set((await fs.readdir(parent).catch(() => [] as string[])).map((n) => n.toLowerCase()))
    await eachLimited(group, PREPARE_CONCURRENCY, async (plan) => {
      // Absent from the listing (in any case) means nothing is there: no stat, no read.
      if (!listed.has(basename(plan.dest).toLowerCase())) return
      const { source, dest, files } = plan
      if (await samePlace(source, dest)) return void (plan.result = { source, path: dest, outcome: 'identical' })
      const existing = await readExisting(dest)
      if (!existing) return
      if (sameFiles(existing, files)) plan.result = { source, path: dest, outcome: 'identical' }
      else if (!opts.overwrite) plan.result = { source, path: dest, outcome: 'failed', error: conflictError(existing, files) }
    })
  }

  const toWrite = [...claims.values()].filter((p) => !p.result)
  const writes: FolderWrite[] = toWrite.map((p) => ({ dest: p.dest, files: p.files, replace: opts.overwrite === true }))
  let placed = 0
  ports?.progress?.('write', 0)
  // Cancelled before any write: not even a parent folder is made.
  const written = cancelled() ? writes.map(() => ({ ok: false as const, error: cancelledError() })) : await writeFoldersAtomic(writes, {
    fs,
    ...(ports?.signal ? { signal: ports.signal } : {}),
    ...(ports?.progress ? { onPlaced: () => ports.progress!('write', ++placed / writes.length) } : {}),
  })
  toWrite.forEach((plan, k) => {
    const w = written[k]!
    plan.result = w.ok
      ? { source: plan.source, path: plan.dest, outcome: w.replaced ? 'replaced' : 'copied' }
      : { source: plan.source, path: plan.dest, outcome: 'failed', error: asCertError(w.error, 'destination') }
  })

  if (!cancelled()) ports?.progress?.('done', 1)
  return sourceFolders.map((source, i) => {
    const plan = plans[i]
    if (!plan) return results[i]!
    if (plan.follows) {
      const lead = plan.follows.result!
      return lead.outcome === 'failed' ? { ...lead, source } : { source, path: lead.path, outcome: 'identical' }
    }
    return plan.result!
  })
}
