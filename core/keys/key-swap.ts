import { randomBytes } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { realFs, type FsLayer } from '../storage/atomic'

/**
 * Replaces several key files of one certificate folder as one unit (a password change rewrites
 * signPri.key and kmPri.key; neither may end up on the old password while the other is on the
 * new one). The steps, each durable before the next:
 *
 *   1. every new file is written to a staged name beside its target and synced;
 *   2. a journal naming each staged file and its target is written and synced: the commit;
 *   3. the staged files are renamed over their targets, the folder synced;
 *   4. the journal is removed.
 *
 * `recoverKeySwap` (run before any key operation on the folder and at the app's start) finishes
 * a swap whose journal is there (roll forward: every target gets its new file) and removes
 * staged files without one (roll back: the old files were never touched). A kill at any moment
 * thus leaves every key file old or every key file new. Staged and journal names match the
 * storage layer's leftover pattern, so listings and copies never mistake them for key files.
 */

const JOURNAL_PREFIX = '.key-swap-journal.'
const STAGED_RE = /^\.(.+)\.[0-9a-f]{12}\.tmp$/

interface Journal {
  v: 1
  moves: { from: string; to: string }[]
}

const tag = (): string => randomBytes(6).toString('hex')

async function writeSynced(fs: FsLayer, path: string, data: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'wx', 0o600)
  try {
    await h.write(data)
    await h.sync()
  } finally {
    await h.close()
  }
}

async function syncDir(fs: FsLayer, dir: string): Promise<void> {
  if (process.platform === 'win32') return
  let h: Awaited<ReturnType<FsLayer['open']>> | undefined
  try {
    h = await fs.open(dir, 'r')
    await h.sync()
  } catch {
    /* some file systems refuse a directory fsync; the renames are still atomic */
  } finally {
    await h?.close().catch(() => undefined)
  }
}

/** Writes `files` (absolute paths, all in one folder) as one unit; see the file comment. */
export async function swapKeyFiles(files: { path: string; data: Uint8Array }[], opts: { fs?: FsLayer } = {}): Promise<void> {
  const fs = opts.fs ?? realFs
  if (files.length === 0) return
  const folder = dirname(files[0]!.path)
  if (files.some((f) => dirname(f.path) !== folder)) throw new Error('key files of one swap must share a folder')
  await recoverKeySwap(folder, fs)
  const moves = files.map((f) => ({ from: `.${basename(f.path)}.${tag()}.tmp`, to: basename(f.path), data: f.data }))
  const journalName = `${JOURNAL_PREFIX}${tag()}.tmp`
  try {
    for (const m of moves) await writeSynced(fs, join(folder, m.from), m.data)
    await syncDir(fs, folder)
    const journal: Journal = { v: 1, moves: moves.map(({ from, to }) => ({ from, to })) }
    await writeSynced(fs, join(folder, journalName), new TextEncoder().encode(JSON.stringify(journal)))
    await syncDir(fs, folder)
  } catch (err) {
    // Not committed: the old files stand; remove what was staged.
    for (const m of moves) await fs.rm(join(folder, m.from), { recursive: true, force: true }).catch(() => undefined)
    await fs.rm(join(folder, journalName), { recursive: true, force: true }).catch(() => undefined)
    throw err
  }
  // Committed: from here on the new files win, now or at the next recovery.
  await finish(fs, folder, journalName, moves)
}

async function finish(fs: FsLayer, folder: string, journalName: string, moves: { from: string; to: string }[]): Promise<void> {
  const present = new Set(await fs.readdir(folder))
  for (const m of moves) if (present.has(m.from)) await fs.rename(join(folder, m.from), join(folder, m.to))
  await syncDir(fs, folder)
  await fs.rm(join(folder, journalName), { recursive: true, force: true })
  await syncDir(fs, folder)
}

async function readJournal(fs: FsLayer, path: string): Promise<Journal | undefined> {
  try {
    const j = JSON.parse(await readFile(path, 'utf8')) as Journal
    const safe = (n: unknown): n is string => typeof n === 'string' && n === basename(n) && n !== '.' && n !== '..'
    if (j.v !== 1 || !Array.isArray(j.moves) || !j.moves.every((m) => safe(m.from) && safe(m.to) && STAGED_RE.exec(m.from)?.[1] === m.to)) return undefined
    return j
  } catch {
    // A journal cut short by a kill was never a commit.
    return undefined
  }
}

/**
 * Finishes or undoes a key swap a crash interrupted in `folder`. Returns what it did; 'none'
 * when there was nothing to do (the common case: one directory listing).
 */
export async function recoverKeySwap(folder: string, fs: FsLayer = realFs): Promise<'none' | 'finished' | 'undone'> {
  let names: string[]
  try {
    names = await fs.readdir(folder)
  } catch {
    return 'none'
  }
  const journals = names.filter((n) => n.startsWith(JOURNAL_PREFIX))
  const staged = names.filter((n) => STAGED_RE.test(n) && /^\.(signpri|kmpri)\.key\./i.test(n))
  if (journals.length === 0 && staged.length === 0) return 'none'
  let outcome: 'finished' | 'undone' = 'undone'
  for (const name of journals) {
    const j = await readJournal(fs, join(folder, name))
    if (j && j.moves.every((m) => names.includes(m.from) || names.includes(m.to))) {
      await finish(fs, folder, name, j.moves)
      outcome = 'finished'
    } else {
      await fs.rm(join(folder, name), { recursive: true, force: true })
    }
  }
  const left = new Set(await fs.readdir(folder))
  for (const n of staged) if (left.has(n)) await fs.rm(join(folder, n), { recursive: true, force: true })
  await syncDir(fs, folder)
  return outcome
}

/**
 * The start-up pass: every certificate folder under an NPKI root (`<root>/<CA>/<USER>/<DN>`)
 * gets `recoverKeySwap`, so a password change a crash cut short is settled before anything
 * lists or copies the folder. Unreadable folders are skipped; this must never block a start.
 */
export async function recoverKeySwapsUnder(root: string): Promise<number> {
  let settled = 0
  const dirs = async (p: string): Promise<string[]> =>
    (await readdir(p, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => join(p, d.name))
  for (const ca of await dirs(root)) {
    for (const user of await dirs(ca)) {
      for (const folder of await dirs(user)) {
        if ((await recoverKeySwap(folder).catch(() => 'none' as const)) !== 'none') settled++
      }
    }
  }
  return settled
}
