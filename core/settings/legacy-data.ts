import { lstat, mkdir, rename } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/**
 * What the app keeps in its data folder. Only these move: a legacy folder that Electron chose
 * (`userData`, named after the product) also holds Chromium's own caches, which stay behind.
 */
export const APP_DATA_ENTRIES = [
  'settings.json',
  'reminders.json',
  'pending-renewals.json',
  'token-pin-failures.json',
  'trash',
  'center',
] as const

export interface AdoptedData {
  moved: string[]
  /** Present in both folders: the current one wins, the legacy copy is left untouched. */
  keptBoth: string[]
  /** Could not be moved (another file system, no permission); left where it was. */
  failed: string[]
}

const exists = (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  )

/**
 * Earlier desktop builds kept their data in Electron's `userData` folder, while the CLI and the
 * browser host used `defaultDataDir()`. Now every host uses `defaultDataDir()`, so the desktop
 * app moves what an earlier build left (settings, trash with its keys, a pending renewal's
 * journal, the embedded center) into it once, before anything opens those files. Renames only:
 * nothing is copied, so a key in the trash never exists twice, and an entry already in the
 * current folder is never overwritten.
 */
export async function adoptLegacyData(legacyDir: string, dataDir: string): Promise<AdoptedData> {
  const out: AdoptedData = { moved: [], keptBoth: [], failed: [] }
  if (resolve(legacyDir) === resolve(dataDir)) return out
  for (const name of APP_DATA_ENTRIES) {
    const from = join(legacyDir, name)
    if (!(await exists(from))) continue
    const to = join(dataDir, name)
    if (await exists(to)) {
      out.keptBoth.push(name)
      continue
    }
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 })
      await rename(from, to)
      out.moved.push(name)
    } catch {
      out.failed.push(name)
    }
  }
  return out
}
