import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { firstAnswers, firstScreenReady } from './early'
import { loadRemainingSlices } from './font-groups'
import { i18n } from './i18n/index'

// The app itself, loaded by main.ts once the first calls have left.
void firstScreenReady().then(() => {
  createApp(App).use(createPinia()).use(i18n).mount('#app')
  // The rest of the face once the list is in and drawn, its later rows included (they come a chunk
  // per frame): when the page is first idle, and at the latest two seconds on.
  void firstAnswers.then(() => requestIdleCallback(() => void loadRemainingSlices(), { timeout: 2000 }))
})
