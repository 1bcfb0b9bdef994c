import { defineStore } from 'pinia'
import { ref } from 'vue'

/** A PFX handed to the app from outside the import view: dropped on the window, or opened by the OS. */
export interface IncomingPfx {
  name: string
  /** Where main can read it (Electron's dropped-file path, a picked or OS-opened file). */
  path?: string
  /** The file itself, where the page has no path for it (the browser host). */
  file?: File
}

export const useIncomingPfx = defineStore('incomingPfx', () => {
  const pending = ref<IncomingPfx | null>(null)
  function offer(p: IncomingPfx) {
    pending.value = p
  }
  function take(): IncomingPfx | null {
    const p = pending.value
    pending.value = null
    return p
  }
  return { pending, offer, take }
})

export const isPfxName = (name: string): boolean => /\.(pfx|p12)$/i.test(name)

/** The last part of a path, for showing a file's name. */
export const fileNameOf = (path: string): string => path.split(/[\\/]/).pop() ?? path

/** A file's bytes as base64, for 'pfx.import' where main cannot read the file by path. */
export async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}
