/**
 * Builds the phone page (renderer/phone) into the self-contained folder the listener serves:
 * out/phone/index.html, app.js, app.css. Run: npx tsx core/transfer/build-page.ts [outDir]
 * It lives here, not in renderer/, because it is Node code and renderer/ is type-checked for
 * the browser; the listener is its only consumer.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { build } from 'esbuild'

const ROOT = resolve(import.meta.dirname, '../..')
const SRC = resolve(ROOT, 'renderer/phone')

export async function buildPhonePage(outDir: string = resolve(ROOT, 'out/phone')): Promise<string> {
  mkdirSync(outDir, { recursive: true })
  await build({
    entryPoints: { app: resolve(SRC, 'main.ts') },
    outdir: outDir,
    bundle: true,
    format: 'iife',
    minify: true,
    // BigInt (CPace scalars) needs these; older phone browsers cannot run the page anyway.
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'warning',
  })
  const html = readFileSync(resolve(SRC, 'index.html'), 'utf8')
    .replace(/\s*<script type="module" src="\.\/main\.ts"><\/script>/, '')
    .replace('</head>', '  <link rel="stylesheet" href="app.css" />\n    <script src="app.js" defer></script>\n  </head>')
  if (!html.includes('app.js')) throw new Error('index.html has no main.ts script tag to replace')
  writeFileSync(resolve(outDir, 'index.html'), html)
  return outDir
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  buildPhonePage(process.argv[2] ? resolve(process.argv[2]) : undefined).then(
    (dir) => console.log(`phone page built in ${dir}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err)
      process.exit(1)
    },
  )
}
