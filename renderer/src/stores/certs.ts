import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { CertDetails, CertSummary } from '../../../shared/contract/certs'
import type { ResponseOf } from '../../../shared/contract/index'
import { api, type ApiError } from '../api/client'
import { visibleCerts } from '../lib/cert-view'
import { loadSlicesForCerts } from '../font-groups'
import { toApiError } from '../lib/errors'
import { useSettingsStore } from './settings'

export type RootInfo = ResponseOf<'certs.list'>['roots'][number]

export const useCertsStore = defineStore('certs', () => {
  // Replaced whole on every answer, never changed in place: a thousand rows need no deep proxies.
  const list = shallowRef<CertSummary[]>([])
  const roots = shallowRef<RootInfo[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<ApiError | null>(null)
  const selectedId = ref<string | null>(null)
  const details = ref<CertDetails | null>(null)
  const detailsOpen = ref(false)
  const detailsLoading = ref(false)
  const detailsError = ref<ApiError | null>(null)
  // Answers that arrive after a newer request was sent are dropped.
  let listSeq = 0
  let detailsSeq = 0

  const settings = useSettingsStore()
  const hideExpired = computed(() => settings.settings.hideExpired)
  const visible = computed(() => visibleCerts(list.value, hideExpired.value))
  const hiddenCount = computed(() => list.value.length - visible.value.length)
  const selected = computed(() => list.value.find((c) => c.id === selectedId.value) ?? null)

  /**
   * Asks main for the list (`rescan`: scan again rather than take main's kept scan). `after`:
   * the answer is shown only once it settled, so the first list, asked for beside the settings,
   * is never shown unfiltered or in the wrong language.
   */
  async function refresh(rescan = true, after?: Promise<unknown>): Promise<void> {
    const seq = ++listSeq
    loading.value = true
    try {
      const [r] = await Promise.all([api().call('certs.list', { rescan }), after])
      // A name in syllables the page has no font rule for yet (a rare one) gets it before it is drawn.
      await loadSlicesForCerts(r.certs)
      if (seq !== listSeq) return
      list.value = r.certs
      roots.value = r.roots
      error.value = null
      if (selectedId.value && !r.certs.some((c) => c.id === selectedId.value)) {
        selectedId.value = null
        closeDetails()
      }
    } catch (e) {
      if (seq === listSeq) error.value = toApiError(e)
    } finally {
      if (seq === listSeq) {
        loading.value = false
        loaded.value = true
      }
    }
  }

  function select(id: string | null): void {
    selectedId.value = id
  }

  async function openDetails(id: string): Promise<void> {
    const seq = ++detailsSeq
    selectedId.value = id
    detailsOpen.value = true
    detailsLoading.value = true
    detailsError.value = null
    details.value = null
    try {
      const d = await api().call('certs.details', { id })
      if (seq === detailsSeq) details.value = d
    } catch (e) {
      if (seq === detailsSeq) detailsError.value = toApiError(e)
    } finally {
      if (seq === detailsSeq) detailsLoading.value = false
    }
  }

  function closeDetails(): void {
    detailsSeq++
    detailsOpen.value = false
    detailsLoading.value = false
    details.value = null
    detailsError.value = null
  }

  const setHideExpired = (v: boolean) => settings.setHideExpired(v)

  return {
    list,
    roots,
    loading,
    loaded,
    error,
    selectedId,
    selected,
    details,
    detailsOpen,
    detailsLoading,
    detailsError,
    hideExpired,
    visible,
    hiddenCount,
    refresh,
    select,
    openDetails,
    closeDetails,
    setHideExpired,
  }
})
