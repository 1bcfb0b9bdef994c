import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'
import type { Plugin } from 'vite'
import { firstSlices, keepSliceGroup, SLICE_GROUPS, type SliceGroup } from './renderer/font-slices'
import { firstScreenText } from './renderer/src/first-screen-text'

/**
 * The bundled Korean font (Fontsource's Noto Sans KR), imported as `…/400.css?slices=first` (or
 * `common`, `rare`): only that group's `@font-face` rules (renderer/font-slices.ts says why). Each
 * rule also names a .woff fallback beside its woff2; every Chromium that runs the app reads woff2,
 * so the fallbacks are dropped instead of shipping a second copy of every slice.
 */
function fontSliceGroups(): Plugin {
  return {
    name: 'certmgr-font-slice-groups',
    enforce: 'pre',
    transform(code, id) {
      if (!/@fontsource[\\/][^?]*\.css($|\?)/.test(id)) return undefined
      const group = /[?&]slices=([a-z]+)/.exec(id)?.[1] as SliceGroup | undefined
      if (group !== undefined && !SLICE_GROUPS.includes(group)) throw new Error(`unknown font slice group in ${id}`)
      const kept = group === undefined ? code : keepSliceGroup(code, group, firstScreenText())
      return { code: kept.replace(/,\s*url\([^)]*\.woff\)\s*format\('woff'\)/g, ''), map: null }
    },
  }
}

/**
 * Preloads, from index.html, the font slices the first screen's words need. Otherwise the page
 * learns it needs them only once its script has run and laid the page out, and that first layout
 * shapes the Hangul with whatever fallback the system has (a slow font search on a Linux machine
 * without CJK fonts) before laying it out again with the bundled face.
 */
function preloadFirstScreenFonts(): Plugin {
  return {
    name: 'certmgr-preload-first-screen-fonts',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const wanted = new Set<string>()
        const req = createRequire(import.meta.url)
        for (const weight of [400, 700]) {
          const css = readFileSync(req.resolve(`@fontsource/noto-sans-kr/${weight}.css`), 'utf8')
          for (const f of firstSlices(css, firstScreenText())) wanted.add(f)
        }
        const assets = Object.values(ctx.bundle ?? {}).filter((a) => a.type === 'asset')
        return assets
          .filter((a) => [...(a.originalFileNames ?? []), ...(a.names ?? [])].some((n) => wanted.has(basename(n))))
          .map((a) => ({
            tag: 'link',
            attrs: { rel: 'preload', as: 'font', type: 'font/woff2', crossorigin: '', href: `./${a.fileName}` },
            injectTo: 'head' as const,
          }))
      },
    },
  }
}

/**
 * Links the app's code (renderer/src/start.ts, a chunk main.ts imports dynamically so the first
 * calls leave before it is evaluated) from index.html: its scripts as modulepreloads, its
 * stylesheets as stylesheets, so they are fetched and compiled with the entry instead of after
 * it. Vite's import() then finds them in the page and does not ask again.
 */
function preloadAppStart(): Plugin {
  return {
    name: 'certmgr-preload-app-start',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {}).filter((c) => c.type === 'chunk')
        const start = chunks.find((c) => c.facadeModuleId?.replace(/\\/g, '/').endsWith('/renderer/src/start.ts'))
        if (!start) throw new Error('renderer/src/start.ts is not a chunk of its own')
        const scripts = new Set<string>()
        const styles = new Set<string>()
        const visit = (fileName: string): void => {
          if (scripts.has(fileName)) return
          scripts.add(fileName)
          const chunk = chunks.find((c) => c.fileName === fileName)
          for (const css of chunk?.viteMetadata?.importedCss ?? []) styles.add(css)
          for (const dep of chunk?.imports ?? []) visit(dep)
        }
        visit(start.fileName)
        const linked = (f: string): boolean => html.includes(`/${f}"`)
        return [
          ...[...styles].filter((f) => !linked(f)).map((f) => ({ tag: 'link', attrs: { rel: 'stylesheet', crossorigin: '', href: `./${f}` }, injectTo: 'head' as const })),
          ...[...scripts].filter((f) => !linked(f)).map((f) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: '', href: `./${f}` }, injectTo: 'head' as const })),
        ]
      },
    },
  }
}

// main and preload are Node-side bundles; native modules (pkcs11js, libsql, usb) stay external
// so electron-builder can unpack them from the asar.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'electron/main/index.ts'),
          // PFX key derivation runs in a worker thread (core/formats/pfx-kdf-pool.ts) that loads this file.
          'pfx-kdf-worker': resolve(import.meta.dirname, 'core/formats/pfx-kdf-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require() packages: bundle everything it uses.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'electron/preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    plugins: [vue(), fontSliceGroups(), preloadAppStart(), preloadFirstScreenFonts()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      // electron-vite leaves bundles unminified; the renderer's size is what the window waits for.
      minify: true,
      // index.html already links start.ts's chunk, its imports and its stylesheet
      // (preloadAppStart): main.ts's import() of it has nothing left to ask for.
      modulePreload: { resolveDependencies: (file, deps) => (/(^|\/)start-[\w-]+\.js$/.test(file) ? [] : deps) },
      // Fonts stay files: the CSP allows fonts from 'self' only, never data: URLs.
      assetsInlineLimit: (file: string) => (/\.woff2?$/.test(file) ? false : undefined),
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'renderer/index.html') },
      },
    },
  },
})
