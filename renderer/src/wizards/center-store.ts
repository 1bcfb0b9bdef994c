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
  const outboxError = ref<ApiError | null>(null)

  async function loadInfo(): Promise<CenterInfo | null> {
    try {
      info.value = await api().call('center.info', {})
    } catch {
      info.value = null
    }
    return info.value
  }

  async function refreshOutbox(): Promise<void> {
    try {
      const r = await api().call('center.outbox', {})
      // Newest first: the code just sent is the one users look for.
      messages.value = [...r.messages].sort((a, b) => b.at.localeCompare(a.at))
      outboxError.value = null
    } catch (e) {
      outboxError.value = toApiError(e)
    }
  }

  async function openOutbox(): Promise<void> {
    outboxOpen.value = true
    await refreshOutbox()
  }

  function closeOutbox(): void {
    outboxOpen.value = false
  }

  const feeGeneral = () => info.value?.feesKrw.general ?? 4400

  return { info, messages, outboxOpen, outboxError, loadInfo, refreshOutbox, openOutbox, closeOutbox, feeGeneral }
})
