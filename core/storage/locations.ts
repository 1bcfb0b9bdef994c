import { constants } from 'node:fs'
import { access, readdir, stat } from 'node:fs/promises'
import { dirname, extname, join, resolve } from 'node:path'
import type { NpkiRoot } from '../certs/roots'
import type { DriveFolder } from '../roots/root-policy'
import type { DriveVolume } from '../drives/types'
import { availableModules, listTokens, type TokenInfo } from '../token/pkcs11'

export type LocationKind = 'pc' | 'usb' | 'token' | 'file'

/** A place certificates live or can be put. */
export interface StorageLocation {
  id: string
  kind: LocationKind
  label: string
  /** NPKI root for pc/usb, the file for file; tokens have none. */
  path?: string
  exists: boolean
  writable: boolean
  drive?: DriveVolume
  token?: Pick<TokenInfo, 'module' | 'slot' | 'label' | 'serial' | 'manufacturer' | 'model' | 'pinLocked'> & {
    /** A renewal on this token that a crash left open waits for its PIN (the renewal journal says so). */
    renewalPending?: boolean
  }
}

/** One kind of place; each lists what is there now. */
export interface LocationProvider {
  readonly kind: LocationKind
  list(): Promise<StorageLocation[]>
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

/** Whether a folder (or, when it does not exist yet, its nearest existing parent) can be written. */
export async function canWrite(p: string): Promise<boolean> {
  let cur = resolve(p)
  for (;;) {
    try {
      await access(cur, constants.W_OK)
      return true
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') return false
    }
    const up = dirname(cur)
    if (up === cur) return false
    cur = up
  }
}

/** What the providers ask the root policy (core/roots/root-policy.ts): the roots and whether each takes writes. */
export interface RootSource {
  pcRoots(): Promise<NpkiRoot[]>
  driveFolders(): Promise<DriveFolder[]>
  isWritable(root: NpkiRoot): Promise<boolean>
}

/** The computer's NPKI roots: the OS's (NPKI.md §1), configured ones, and CERTMGR_NPKI_ROOTS. */
export function pcProvider(roots: RootSource): LocationProvider {
  return {
    kind: 'pc',
    async list() {
      return Promise.all(
        (await roots.pcRoots()).map(async (r): Promise<StorageLocation> => ({ id: `pc:${r.path}`, kind: 'pc', label: r.path, path: r.path, exists: await exists(r.path), writable: await roots.isWritable(r) })),
      )
    },
  }
}

/**
 * Mounted removable drives; their NPKI folder is the policy's answer, and a drive without one is still a
 * destination. A drive whose NPKI folder is a link off the drive is listed, but not writable.
 */
export function driveProvider(roots: RootSource): LocationProvider {
  return {
    kind: 'usb',
    async list() {
      return Promise.all(
        (await roots.driveFolders()).map(async ({ drive: d, path, root }): Promise<StorageLocation> => {
          return { id: `usb:${d.id}`, kind: 'usb', label: d.label ?? d.model ?? d.mountPoint, path, exists: root !== undefined && (await exists(path)), writable: root !== undefined && (await roots.isWritable(root)), drive: d }
        }),
      )
    },
  }
}

/** Initialised tokens in the configured and default PKCS#11 modules. */
export function tokenProvider(opts: { modules?: () => string[] | Promise<string[]> } = {}): LocationProvider {
  return {
    kind: 'token',
    async list() {
      const modules = opts.modules ? await opts.modules() : availableModules()
      const tokens = await listTokens(modules)
      return tokens.map((t) => ({
        id: `token:${t.module}#${t.slot}`,
        kind: 'token' as const,
        label: t.label,
        exists: true,
        writable: !t.pinLocked,
        token: { module: t.module, slot: t.slot, label: t.label, serial: t.serial, manufacturer: t.manufacturer, model: t.model, pinLocked: t.pinLocked },
      }))
    },
  }
}

/** PFX/P12 files in the given folders (not recursive: a Downloads folder can be huge). */
export function pfxProvider(opts: { dirs: () => string[] | Promise<string[]> }): LocationProvider {
  return {
    kind: 'file',
    async list() {
      const out: StorageLocation[] = []
      for (const d of await opts.dirs()) {
        let names: string[]
        try {
          names = await readdir(d)
        } catch {
          continue
        }
        for (const n of names) {
          const ext = extname(n).toLowerCase()
          if (n.startsWith('.') || (ext !== '.pfx' && ext !== '.p12')) continue
          const p = join(d, n)
          out.push({ id: `file:${p}`, kind: 'file', label: n, path: p, exists: true, writable: await canWrite(p) })
        }
      }
      return out
    },
  }
}

/** Every location from every provider; a provider that fails contributes nothing. */
export async function listLocations(providers: LocationProvider[]): Promise<StorageLocation[]> {
  const lists = await Promise.all(providers.map((p) => p.list().catch(() => [] as StorageLocation[])))
  return lists.flat()
}
