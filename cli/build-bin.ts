/**
 * Bundles the `certmgr` command (cli/bin.ts) into out/cli/certmgr.mjs, the file package.json's
 * "bin" names: plain JavaScript that starts without a TypeScript loader and without resolving
 * dozens of packages, with each command file in a chunk of its own (out/cli/chunks/) loaded
 * only when one of its commands runs. Run by `npm run build`: npx tsx cli/build-bin.ts [outDir]
 */
import { chmodSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { build } from 'esbuild'

const ROOT = resolve(import.meta.dirname, '..')

/**
 * Native packages stay outside the bundle (their binaries load from node_modules, and only when
 * a command first uses them, see core/lazy-require.ts); everything else is inlined.
 */
export const NATIVE_PACKAGES = ['pkcs11js', 'libsql', '@libsql/client', 'usb']

export async function buildCliBin(outDir: string = resolve(ROOT, 'out/cli')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true })
  await build({
    // The PFX key-derivation worker (core/formats/pfx-kdf-pool.ts) is a file of its own beside the command.
    entryPoints: { certmgr: resolve(ROOT, 'cli/bin.ts'), 'pfx-kdf-worker': resolve(ROOT, 'core/formats/pfx-kdf-worker.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: NATIVE_PACKAGES,
    // CommonJS packages inlined into an ES module (node-forge, qrcode) call require() for Node's
    // own modules; give the bundle a real one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __certmgrCreateRequire } from 'node:module'\nconst require = __certmgrCreateRequire(import.meta.url)" },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  const bin = resolve(outDir, 'certmgr.mjs')
  chmodSync(bin, 0o755)
  return bin
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  buildCliBin(process.argv[2] ? resolve(process.argv[2]) : undefined).then(
    (file) => console.log(`certmgr command built in ${file}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err)
      process.exit(1)
    },
  )
}
