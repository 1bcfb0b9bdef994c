import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Settings } from '../../../shared/contract/settings'
import type { ResponseOf } from '../../../shared/contract/index'
import { api, type ApiError } from '../api/client'
import { setLocale } from '../i18n/index'
import { toApiError } from '../lib/errors'

export type AppInfo = ResponseOf<'app.info'>

const DEFAULTS: Settings = { language: 'ko', extraRoots: [], hideExpired: false, centerUrl: '' }

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>({ ...DEFAULTS, extraRoots: [] })
  const info = ref<AppInfo | null>(null)
  const loaded = ref(false)
  const saving = ref(false)
  const error = ref<ApiError | null>(null)

  async function load(): Promise<void> {
    try {
      const [s, i] = await Promise.all([api().call('settings.get', {}), api().call('app.info', {})])
      settings.value = s
      info.value = i
      setLocale(s.language)
      error.value = null
    } catch (e) {
      error.value = toApiError(e)
    } finally {
      loaded.value = true
    }
  }

  /**
   * Applies a change at once (the checkbox or language must not lag behind the click) and
   * keeps what main saved; on failure the previous value comes back and the error is shown.
   */
  async function update(patch: Partial<Settings>): Promise<boolean> {
    const before = settings.value
    settings.value = { ...before, ...patch }
    if (patch.language) setLocale(patch.language)
    saving.value = true
    try {
      settings.value = await api().call('settings.set', patch)
      error.value = null
      return true
    } catch (e) {
      settings.value = before
      setLocale(before.language)
      error.value = toApiError(e)
      return false
    } finally {
      saving.value = false
    }
  }

  const setLanguage = (language: Settings['language']) => update({ language })
  const setHideExpired = (hideExpired: boolean) => update({ hideExpired })

  async function addRoot(path: string): Promise<boolean> {
    const p = path.trim()
    if (!p || settings.value.extraRoots.includes(p)) return false
    return update({ extraRoots: [...settings.value.extraRoots, p] })
  }

  const removeRoot = (path: string) => update({ extraRoots: settings.value.extraRoots.filter((r) => r !== path) })

  async function setCenterUrl(url: string): Promise<boolean> {
    const ok = await update({ centerUrl: url.trim() })
    // The center in use is reported by app.info; refresh it so 설정 shows what is now in effect.
    if (ok) {
      try {
        info.value = await api().call('app.info', {})
      } catch {
        /* the setting was saved; the about box just keeps the old line */
      }
    }
    return ok
  }

  return { settings, info, loaded, saving, error, load, update, setLanguage, setHideExpired, addRoot, removeRoot, setCenterUrl }
})
