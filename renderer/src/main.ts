// The window's entry is small on purpose: it sends the first calls (early.ts) as soon as it runs,
// while the app's code (start.ts, Vue and the rest, preloaded from index.html by the build) is
// still arriving and being compiled, so main answers them in the meantime.
import './early'
// Korean UI font shipped with the app (woff2 slices by unicode-range, fetched from the app's own
// files only when a page uses their characters): a Linux desktop without CJK fonts shows Hangul.
// Only the first screen's slices are declared here; font-groups.ts adds the others. Imported
// here, not in start.ts, so index.html links these stylesheets from its head.
import '@fontsource/noto-sans-kr/400.css?slices=first'
import '@fontsource/noto-sans-kr/700.css?slices=first'
import './styles.css'

void import('./start')
