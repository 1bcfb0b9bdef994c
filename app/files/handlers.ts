import { existsSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import type { filesCalls, Place, PickPurpose } from '../../shared/contract/files'
import type { AppEvent } from '../../shared/contract/progress'
import { CertError } from '../../shared/errors'
import { browseFolder } from '../../core/files/browse'
import type { Handlers } from '../handler'

/** What only a desktop shell can do (Electron main implements it; the browser host has none). */
export interface DesktopShell {
  /** The OS's open/save/folder dialog; null when the user cancelled. */
  dialog(purpose: PickPurpose, defaultName?: string): Promise<string | null>
}

export interface FilesHandlerDeps {
  /** The NPKI folders main knows (the OS's, settings', drives'). */
  npkiRoots(): Promise<{ path: string; label?: string }[]>
  /** Mounted drives' mount points. */
  drives(): { path: string; label: string }[]
  desktop?: DesktopShell
  /** The home folder (tests pass their own). */
  home?: string
}

const PFX = /\.(pfx|p12)$/i

/**
 * PFX files the OS asked the app to open, waiting for the window to take them. Only existing
 * .pfx/.p12 files are kept; nothing else from the command line reaches the renderer.
 */
export class OpenedFiles {
  private paths: string[] = []
  constructor(private readonly emit: (e: AppEvent) => void) {}

  /** From argv, a second instance or macOS open-file; tells the window when any is a PFX. */
  add(candidates: readonly string[], cwd = process.cwd()): string[] {
    const fresh = candidates
      .filter((p) => PFX.test(p))
      .map((p) => (isAbsolute(p) ? p : resolve(cwd, p)))
      .filter((p) => existsSync(p) && statSync(p).isFile())
    if (!fresh.length) return []
    this.paths.push(...fresh)
    this.emit({ type: 'files-opened' })
    return fresh
  }

  take(): string[] {
    const out = this.paths
    this.paths = []
    return out
  }
}

export function createFilesHandlers(deps: FilesHandlerDeps, opened: OpenedFiles): Handlers<typeof filesCalls> {
  async function places(): Promise<Place[]> {
    const list: Place[] = [{ kind: 'home', label: '', path: deps.home ?? homedir() }]
    for (const d of deps.drives()) list.push({ kind: 'drive', label: d.label, path: d.path })
    for (const r of await deps.npkiRoots()) if (existsSync(r.path)) list.push({ kind: 'npki', label: r.label ?? '', path: r.path })
    return list
  }

  return {
    'files.places': async () => ({ places: await places(), native: deps.desktop !== undefined }),
    'files.browse': async ({ dir, purpose }) => browseFolder((await places()).map((p) => p.path), dir, purpose),
    'files.dialog': async ({ purpose, defaultName }) => {
      if (!deps.desktop) throw new CertError('UNSUPPORTED', 'this host has no file dialogs; use the picker')
      const path = await deps.desktop.dialog(purpose, defaultName)
      // A save dialog may hand back a name without the extension: main's rule wants .pfx/.p12.
      if (path && purpose === 'save-pfx' && !PFX.test(path)) return { path: `${path}.pfx` }
      return { path }
    },
    'files.takeOpened': async () => ({ paths: opened.take() }),
  }
}
