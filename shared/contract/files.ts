import { z } from 'zod'
import { call, Empty } from './define'

// Choosing files and folders without typing paths. In Electron main shows the OS's own dialogs
// ('files.dialog'); in the browser host the renderer shows its own picker over 'files.places'
// and 'files.browse', which list only folders and the files the purpose asks for, and only
// under places main offers (the home folder, mounted drives, the NPKI folders).
const Path = z.string().min(1).max(4096)

/** What the user is choosing: a PFX to open, where to save a PFX, or a folder. */
export const PickPurpose = z.enum(['open-pfx', 'save-pfx', 'folder'])
export type PickPurpose = z.infer<typeof PickPurpose>

export const Place = z.object({ kind: z.enum(['home', 'drive', 'npki']), label: z.string(), path: z.string() })
export type Place = z.infer<typeof Place>

export const BrowseEntry = z.object({ name: z.string(), path: z.string(), kind: z.enum(['folder', 'file']) })
export type BrowseEntry = z.infer<typeof BrowseEntry>

export const filesCalls = {
  /** Where the picker may start; `native` is true where main shows the OS's dialogs instead. */
  'files.places': call(Empty, z.object({ places: z.array(Place), native: z.boolean() })),
  /**
   * One folder's sub-folders and, for 'open-pfx'/'save-pfx', its .pfx/.p12 files (no hidden
   * entries). `dir` must be inside one of the places; `parent` is null at a place's top.
   */
  'files.browse': call(
    z.object({ dir: Path, purpose: PickPurpose }).strict(),
    z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(BrowseEntry), truncated: z.boolean() }),
  ),
  /** The OS's open/save/folder dialog (Electron); `path` is null when the user cancelled. */
  'files.dialog': call(z.object({ purpose: PickPurpose, defaultName: z.string().max(255).optional() }).strict(), z.object({ path: z.string().nullable() })),
  /**
   * 폴더 열기: shows the certificate's folder in the OS's file manager. `shown` is false where
   * the host cannot (the browser host); the UI then shows `folder` to copy.
   */
  /** PFX files the OS asked the app to open (double-click, 연결 프로그램) since the last call. */
  'files.takeOpened': call(Empty, z.object({ paths: z.array(z.string()) })),
}
