// First: sends the window's first calls before the rest of the app is evaluated.
import { firstAnswers, firstScreenReady } from './early'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { loadRemainingSlices } from './font-groups'
import { i18n } from './i18n/index'
// Korean UI font shipped with the app (woff2 slices by unicode-range, fetched from the app's own
// files only when a page uses their characters): a Linux desktop without CJK fonts shows Hangul.
// Only the first screen's slices are declared here; font-groups.ts adds the others.
import '@fontsource/noto-sans-kr/400.css?slices=first'
import '@fontsource/noto-sans-kr/700.css?slices=first'
import './styles.css'

void firstScreenReady().then(() => {
  createApp(App).use(createPinia()).use(i18n).mount('#app')
  // The rest of the face once the list is in and drawn, its later rows included (they come a chunk
  // per frame): when the page is first idle, and at the latest two seconds on.
  void firstAnswers.then(() => requestIdleCallback(() => void loadRemainingSlices(), { timeout: 2000 }))
})
