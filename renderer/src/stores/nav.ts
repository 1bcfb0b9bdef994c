import { defineStore } from 'pinia'
import { ref } from 'vue'

export const VIEWS = ['list', 'issue', 'reissue', 'renew', 'password', 'register', 'phone', 'customer', 'settings'] as const
export type View = (typeof VIEWS)[number]

/** The current screen. A store instead of a router: the app has six screens and no URLs to share. */
export const useNavStore = defineStore('nav', () => {
  const view = ref<View>('list')
  /** What the next wizard starts with (재발급 for an expired certificate: 인증서 만료 chosen). */
  const intent = ref<{ reason?: 'expired' } | null>(null)
  function go(next: View, with_?: { reason?: 'expired' }) {
    intent.value = with_ ?? null
    view.value = next
  }
  /** The wizard takes the intent once; a later visit starts plain. */
  function takeIntent(): { reason?: 'expired' } | null {
    const i = intent.value
    intent.value = null
    return i
  }
  return { view, intent, go, takeIntent }
})
