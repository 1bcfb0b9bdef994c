import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { CertError } from '../../shared/errors'
import { writeFileAtomic } from './atomic'

/** File systems without hard links (FAT and exFAT sticks, some network shares) answer link() with these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'])

export function fileExistsError(path: string): CertError {
  return new CertError('CONFLICT', `${basename(path)} already exists; confirm to replace it`, { reason: 'file-exists' })
}

async function exists(path: string): Promise<boolean> {
  return fs.lstat(path).then(
    () => true,
    () => false,
  )
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new name durable; Windows cannot open a directory for this and needs no such step.
  const h = await fs.open(dir, 'r').catch(() => undefined)
  if (!h) return
  await h.sync().catch(() => undefined)
  await h.close()
}

/**
 * Writes a file that must not replace anything: CONFLICT (reason `file-exists`) when `path`
 * exists, unless `overwrite`, and the existing file is then left byte for byte as it was. The
 * data goes to a synced temp file first and is hard-linked into place, so a file that appears
 * meanwhile is not clobbered either (link fails with EEXIST); where the file system has no hard
 * links the check and the rename are two steps.
 */
export async function writeNewFile(path: string, data: Uint8Array, opts: { overwrite?: boolean } = {}): Promise<void> {
  if (opts.overwrite) return writeFileAtomic(path, data)
  if (await exists(path)) throw fileExistsError(path)
  const dir = dirname(path)
  await fs.mkdir(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const h = await fs.open(tmp, 'wx', 0o600)
    try {
      await h.writeFile(data)
      await h.sync()
    } finally {
      await h.close()
    }
    try {
      await fs.link(tmp, path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? ''
      if (code === 'EEXIST') throw fileExistsError(path)
      if (!NO_LINKS.has(code)) throw err
      if (await exists(path)) throw fileExistsError(path)
      await fs.rename(tmp, path)
    }
    await syncDir(dir)
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined)
  }
}
