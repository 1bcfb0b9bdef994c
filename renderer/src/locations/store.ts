import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { CertSummary } from '../../../shared/contract/certs'
import type { StorageLocation, TrashEntry } from '../../../shared/contract/storage'
import { api, type ApiError } from '../api/client'
import { toApiError } from '../lib/errors'

export const LOCATION_TABS = ['all', 'pc', 'usb', 'token', 'file'] as const
export type LocationTab = (typeof LOCATION_TABS)[number]

/** A place a copy or move can go, in the shape 'storage.copy' takes. */
export interface Destination {
  id: string
  label: string
  kind: 'pc' | 'usb'
  path: string
  writable: boolean
  target: { toRoot: string } | { toDrive: string }
}

export interface Notice {
  key: string
  params?: Record<string, string>
  /** The certificate folder the notice is about: offered as 폴더 열기, never printed. */
  folder?: string
}

/** Tabs of the certificate list, the places main knows about, and the trash. */
export const useLocationsStore = defineStore('locations', () => {
  const tab = ref<LocationTab>('all')
  const locations = ref<StorageLocation[]>([])
  const loading = ref(false)
  /** The places have been asked for at least once (the list asks after its first paint). */
  const loaded = ref(false)
  const error = ref<ApiError | null>(null)
  const notice = ref<Notice | null>(null)
  const trash = ref<TrashEntry[]>([])
  const trashLoading = ref(false)
  const trashError = ref<ApiError | null>(null)
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    loading.value = true
    try {
      const r = await api().call('storage.locations', {})
      if (mine !== seq) return
      locations.value = r.locations
      error.value = null
    } catch (e) {
      if (mine === seq) error.value = toApiError(e)
    } finally {
      if (mine === seq) {
        loading.value = false
        loaded.value = true
      }
    }
  }

  const drives = computed(() => locations.value.filter((l) => l.kind === 'usb'))
  const tokens = computed(() => locations.value.filter((l) => l.kind === 'token'))
  const pcRoots = computed(() => locations.value.filter((l) => l.kind === 'pc'))

  /** NPKI roots on the PC and on drives, in the order main listed them. */
  const destinations = computed<Destination[]>(() =>
    locations.value.flatMap((l): Destination[] => {
      if (l.kind === 'pc' && l.path) return [{ id: l.id, label: l.label, kind: 'pc', path: l.path, writable: l.writable, target: { toRoot: l.path } }]
      if (l.kind === 'usb' && l.path && l.drive) return [{ id: l.id, label: l.label, kind: 'usb', path: l.path, writable: l.writable, target: { toDrive: l.drive.id } }]
      return []
    }),
  )

  /** The rows the current tab shows; the token and file tabs have their own panels. */
  function filter(list: CertSummary[]): CertSummary[] {
    if (tab.value === 'all') return list
    return list.filter((c) => c.location === tab.value)
  }

  function count(list: CertSummary[], t: LocationTab): number {
    return t === 'all' ? list.length : list.filter((c) => c.location === t).length
  }

  function setTab(t: LocationTab): void {
    tab.value = t
    if ((t === 'usb' || t === 'token') && !loading.value) void load()
  }

  function say(key: string, params?: Record<string, string>, folder?: string): void {
    notice.value = { key, ...(params ? { params } : {}), ...(folder ? { folder } : {}) }
  }

  async function loadTrash(): Promise<void> {
    trashLoading.value = true
    try {
      trash.value = (await api().call('storage.trashList', {})).entries
      trashError.value = null
    } catch (e) {
      trashError.value = toApiError(e)
    } finally {
      trashLoading.value = false
    }
  }

  /**
   * Restores one entry; a CONFLICT is thrown back so the caller can offer to overwrite. With an
   * opId main reports its stages under it and 'storage.cancel' can stop it.
   */
  async function restore(trashId: string, overwrite = false, opId?: string): Promise<string> {
    const r = await api().call('storage.trashRestore', { ...(opId ? { opId } : {}), trashId, ...(overwrite ? { overwrite: true } : {}) })
    await loadTrash()
    return r.path
  }

  return { tab, locations, loading, loaded, error, notice, drives, tokens, pcRoots, destinations, trash, trashLoading, trashError, load, filter, count, setTab, say, loadTrash, restore }
})
