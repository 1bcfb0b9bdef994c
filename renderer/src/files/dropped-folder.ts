/* global FileSystemEntry, FileSystemDirectoryEntry, FileSystemFileEntry, File -- DOM types */

/** The files of a dropped certificate folder main takes: the NPKI names only. */
const NPKI_NAMES = ['signcert.der', 'signpri.key', 'kmcert.der', 'kmpri.key']

/** A folder dropped on the window, as main's storage.inspectDropped / copyDropped take it. */
export type DroppedSource = { path: string } | { files: { name: string; dataBase64: string }[] }

/** The folder's entries (readEntries answers in batches until an empty one). */
function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader()
  const all: FileSystemEntry[] = []
  return new Promise((resolve, reject) => {
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) return resolve(all)
        all.push(...batch)
        // A certificate folder has four files; a huge folder is not one, so stop reading early.
        if (all.length > 256) return resolve(all)
        next()
      }, reject)
    next()
  })
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject))
}

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/**
 * Reads a dropped directory entry in the browser host: the bytes of its NPKI files, as they
 * are (the key stays encrypted under its password; nothing here opens it). Main checks names,
 * sizes and the certificate again.
 */
export async function readFolderEntry(dir: FileSystemDirectoryEntry): Promise<DroppedSource> {
  const files: { name: string; dataBase64: string }[] = []
  for (const e of await entriesOf(dir)) {
    if (!e.isFile || !NPKI_NAMES.includes(e.name.toLowerCase())) continue
    files.push({ name: e.name, dataBase64: await base64Of(await fileOf(e as FileSystemFileEntry)) })
  }
  return { files }
}
