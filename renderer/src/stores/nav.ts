import { defineStore } from 'pinia'
import { ref } from 'vue'

export const VIEWS = ['list', 'issue', 'reissue', 'renew', 'register', 'phone', 'customer', 'settings'] as const
export type View = (typeof VIEWS)[number]

/** The current screen. A store instead of a router: the app has six screens and no URLs to share. */
export const useNavStore = defineStore('nav', () => {
  const view = ref<View>('list')
  function go(next: View) {
    view.value = next
  }
  return { view, go }
})
