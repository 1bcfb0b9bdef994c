import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../certs/parse'
import { realFs, removeFolderAtomic, writeFileAtomic, writeFolderAtomic, type FsLayer } from './atomic'
import { ioError, readCertFiles, sameFiles, signCertOf } from './folder'
import { assertNoLinkBelow } from '../roots/links'

/**
 * A certificate folder is `<root>/<CA>/USER/<DN>`: none of the last three may be a link when the
 * trash deletes or restores it, so neither goes through a CA folder that points elsewhere (a
 * stick's `NPKI/yessign` linked to the PC's would take the PC's certificate).
 */
function assertNotThroughLink(folder: string): void {
  assertNoLinkBelow(dirname(dirname(dirname(folder))), folder)
}

export const TRASH_RETENTION_DAYS = 30
const DAY_MS = 24 * 60 * 60 * 1000

/** One deleted certificate folder, kept for TRASH_RETENTION_DAYS. Metadata only. */
export interface TrashEntry {
  id: string
  /** Where it was; restore puts it back there. */
  originalPath: string
  deletedAt: string
  expiresAt: string
  owner?: string
  subjectDn?: string
  serialHex?: string
  notAfter?: string
  files: string[]
}

interface Manifest {
  version: 1
  entries: TrashEntry[]
}

/**
 * A recoverable trash in the app's data folder: `<data>/trash/<id>/` holds the files,
 * `<data>/trash/manifest.json` lists what each entry was. Deleting writes the copy and the
 * manifest first and removes the original last, so a crash never loses a certificate.
 */
export class Trash {
  readonly dir: string
  private readonly fs: FsLayer
  private readonly now: () => Date
  private readonly retentionDays: number
  // Manifest updates in one process are serialised; each write is atomic on disk.
  private queue: Promise<unknown> = Promise.resolve()

  private readonly sourceFs: FsLayer

  constructor(dataDir: string, opts: { fs?: FsLayer; sourceFs?: FsLayer; now?: () => Date; retentionDays?: number } = {}) {
    this.dir = join(resolve(dataDir), 'trash')
    this.fs = opts.fs ?? realFs
    this.sourceFs = opts.sourceFs ?? realFs
    this.now = opts.now ?? (() => new Date())
    this.retentionDays = opts.retentionDays ?? TRASH_RETENTION_DAYS
  }

  private get manifestPath(): string {
    return join(this.dir, 'manifest.json')
  }

  private entryDir(id: string): string {
    return join(this.dir, id)
  }

  private async readManifest(): Promise<Manifest> {
    try {
      const m = JSON.parse(await readFile(this.manifestPath, 'utf8')) as Manifest
      if (m && Array.isArray(m.entries)) return { version: 1, entries: m.entries.filter((e) => typeof e?.id === 'string' && /^[0-9a-f]{16}$/.test(e.id)) }
    } catch {
      /* missing or damaged: start empty (entry folders without a manifest line are purged) */
    }
    return { version: 1, entries: [] }
  }

  private async writeManifest(m: Manifest): Promise<void> {
    await writeFileAtomic(this.manifestPath, new TextEncoder().encode(JSON.stringify(m, null, 2)), this.fs)
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Moves a certificate folder into the trash. */
  put(folder: string): Promise<TrashEntry> {
    return this.serial(async () => {
      const abs = resolve(folder)
      assertNotThroughLink(abs)
      const files = await readCertFiles(abs)
      const id = randomBytes(8).toString('hex')
      const now = this.now()
      const entry: TrashEntry = {
        id,
        originalPath: abs,
        deletedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + this.retentionDays * DAY_MS).toISOString(),
        files: Object.keys(files).sort(),
      }
      try {
        const f = parseCertificate(signCertOf(files))
        Object.assign(entry, { owner: f.owner, subjectDn: f.subjectDn, serialHex: f.serialHex, notAfter: f.notAfter.toISOString() })
      } catch {
        /* a damaged certificate can still be deleted and restored */
      }
      try {
        await writeFolderAtomic(this.entryDir(id), files, { fs: this.fs })
        const m = await this.readManifest()
        m.entries.push(entry)
        await this.writeManifest(m)
      } catch (err) {
        await this.fs.rm(this.entryDir(id), { recursive: true, force: true }).catch(() => undefined)
        throw ioError(err, 'destination')
      }
      try {
        await removeFolderAtomic(abs, this.sourceFs)
      } catch (err) {
        // The original stays (a read-only medium, say): take the trash entry back out.
        const m = await this.readManifest()
        m.entries = m.entries.filter((e) => e.id !== id)
        await this.writeManifest(m).catch(() => undefined)
        await this.fs.rm(this.entryDir(id), { recursive: true, force: true }).catch(() => undefined)
        throw ioError(err, 'source')
      }
      return entry
    })
  }

  /** Entries newest first. */
  async list(): Promise<TrashEntry[]> {
    const m = await this.readManifest()
    return [...m.entries].sort((a, b) => b.deletedAt.localeCompare(a.deletedAt))
  }

  /** Puts a deleted folder back where it was (CONFLICT when something else is there now). */
  restore(id: string, opts: { overwrite?: boolean } = {}): Promise<{ path: string }> {
    return this.serial(async () => {
      const m = await this.readManifest()
      const entry = m.entries.find((e) => e.id === id)
      if (!entry) throw new CertError('NOT_FOUND', 'no such item in the trash')
      const files = await readCertFiles(this.entryDir(id)).catch((err: unknown) => {
        throw err instanceof CertError && err.code === 'NOT_FOUND' ? new CertError('DAMAGED', 'the trash item is incomplete') : err
      })
      let existing: Awaited<ReturnType<typeof readCertFiles>> | undefined
      try {
        existing = await readCertFiles(entry.originalPath)
      } catch {
        existing = undefined
      }
      if (!existing || !sameFiles(existing, files)) {
        assertNotThroughLink(entry.originalPath)
        try {
          await writeFolderAtomic(entry.originalPath, files, { replace: opts.overwrite === true, fs: this.fs })
        } catch (err) {
          const e = ioError(err, 'destination')
          if (e.code === 'CONFLICT') throw new CertError('CONFLICT', 'a different certificate now sits where this one was', { reason: 'different-certificate' })
          throw e
        }
      }
      m.entries = m.entries.filter((e) => e.id !== id)
      await this.writeManifest(m)
      await this.fs.rm(this.entryDir(id), { recursive: true, force: true }).catch(() => undefined)
      return { path: entry.originalPath }
    })
  }

  /** Removes entries older than the retention period, and entry folders no manifest line names. */
  purgeExpired(): Promise<string[]> {
    return this.serial(async () => {
      const m = await this.readManifest()
      const now = this.now().getTime()
      const expired = m.entries.filter((e) => Date.parse(e.expiresAt) <= now).map((e) => e.id)
      if (expired.length > 0) {
        m.entries = m.entries.filter((e) => !expired.includes(e.id))
        await this.writeManifest(m)
      }
      const keep = new Set(m.entries.map((e) => e.id))
      let names: string[]
      try {
        names = await this.fs.readdir(this.dir)
      } catch {
        names = []
      }
      for (const n of names) {
        if (n === 'manifest.json' || keep.has(n)) continue
        if (/^[0-9a-f]{16}$/.test(n) || n.startsWith('.')) await this.fs.rm(join(this.dir, n), { recursive: true, force: true }).catch(() => undefined)
      }
      return expired
    })
  }
}
