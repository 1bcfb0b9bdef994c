import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { PickPurpose, Place } from '../../../shared/contract/files'
import { api } from '../api/client'

interface Request {
  purpose: PickPurpose
  defaultName?: string
  resolve(path: string | null): void
}

/**
 * Choosing a file or folder without typing its path. Where main has the OS's dialogs (Electron)
 * it shows them; elsewhere (the browser host) the app's own picker (FilePicker.vue) browses the
 * places main offers. Either way the answer is a path main produced, or null when cancelled.
 */
export const useFilePicker = defineStore('filePicker', () => {
  const request = ref<Request | null>(null)
  const places = ref<Place[]>([])
  let native: boolean | undefined

  async function pick(purpose: PickPurpose, opts: { defaultName?: string } = {}): Promise<string | null> {
    if (native === undefined || !places.value.length) {
      const r = await api().call('files.places', {})
      places.value = r.places
      native = r.native
    }
    if (native) return (await api().call('files.dialog', { purpose, ...(opts.defaultName ? { defaultName: opts.defaultName } : {}) })).path
    request.value?.resolve(null)
    return new Promise((resolve) => {
      request.value = { purpose, ...(opts.defaultName ? { defaultName: opts.defaultName } : {}), resolve }
    })
  }

  /** The in-app picker's answer. */
  function answer(path: string | null): void {
    const r = request.value
    request.value = null
    r?.resolve(path)
  }

  return { request, places, pick, answer }
})

/** A PFX file name the user may give in the save picker: a plain name ending in .pfx/.p12. */
export function validPfxName(name: string): boolean {
  return /^[^/\\]+\.(pfx|p12)$/i.test(name.trim()) && !/^\.+$/.test(name.trim())
}

/** Joins the folder the picker shows and a file name with the folder's own separator. */
export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/'
  return dir.endsWith(sep) ? dir + name : dir + sep + name
}
