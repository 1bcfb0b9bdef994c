// First: sends the window's first calls before the rest of the app is evaluated.
import { firstScreenReady } from './early'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n/index'
// Korean UI font shipped with the app (woff2 subsets by unicode-range, fetched from the app's own
// files only when a page uses their characters): a Linux desktop without CJK fonts shows Hangul.
import '@fontsource/noto-sans-kr/400.css'
import '@fontsource/noto-sans-kr/700.css'
import './styles.css'

void firstScreenReady().then(() => createApp(App).use(createPinia()).use(i18n).mount('#app'))
