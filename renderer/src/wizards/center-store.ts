import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ResponseOf } from '../../../shared/contract/index'
import { api, type ApiError } from '../api/client'
import { toApiError } from '../lib/errors'

export type CenterInfo = ResponseOf<'center.info'>
export type OutboxMessage = ResponseOf<'center.outbox'>['messages'][number]

/** The certification center as the UI shows it: its info (설정, fees) and the 문자함. */
export const useCenterStore = defineStore('center', () => {
  const info = ref<CenterInfo | null>(null)
  const messages = ref<OutboxMessage[]>([])
  const outboxOpen = ref(false)
  /** True from opening the 문자함 until its first answer: the list is empty, never stale. */
  const outboxLoading = ref(false)
  const outboxError = ref<ApiError | null>(null)
  // Only the newest request may fill the list: an earlier answer arriving late is dropped.
  let outboxSeq = 0

  async function loadInfo(): Promise<CenterInfo | null> {
    try {
      info.value = await api().call('center.info', {})
    } catch {
      info.value = null
    }
    return info.value
  }

  async function refreshOutbox(): Promise<void> {
    const seq = ++outboxSeq
    try {
      const r = await api().call('center.outbox', {})
      if (seq !== outboxSeq) return
      // Newest first: the code just sent is the one users look for.
      messages.value = [...r.messages].sort((a, b) => b.at.localeCompare(a.at))
      outboxError.value = null
    } catch (e) {
      if (seq === outboxSeq) outboxError.value = toApiError(e)
    } finally {
      if (seq === outboxSeq) outboxLoading.value = false
    }
  }

  /**
   * Opens the 문자함 on an empty list that fills when the center answers. Showing the list of the
   * last opening meanwhile would put an earlier session's code on top, where it is read and typed
   * as the new one.
   */
  async function openOutbox(): Promise<void> {
    messages.value = []
    outboxError.value = null
    outboxLoading.value = true
    outboxOpen.value = true
    await refreshOutbox()
  }

  function closeOutbox(): void {
    outboxOpen.value = false
  }

  const feeGeneral = () => info.value?.feesKrw.general ?? 4400

  return { info, messages, outboxOpen, outboxLoading, outboxError, loadInfo, refreshOutbox, openOutbox, closeOutbox, feeGeneral }
})
