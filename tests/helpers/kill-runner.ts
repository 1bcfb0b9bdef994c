import { accessSync, constants, mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A kill -9 tests what a crashed process leaves behind (the order of writes and renames), not
 * what survives a power cut, so a RAM-backed directory serves as well as a disk and keeps
 * fsync latency on a busy shared disk from dominating the run. Falls back to the usual tmpdir.
 */
export function killScratchDir(prefix: string): string {
  let base = tmpdir()
  try {
    if (process.platform === 'linux' && statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK)
      base = '/dev/shm'
    }
  } catch {
    /* not available */
  }
  return mkdtempSync(join(base, prefix))
}

/**
 * How to start the child a kill test kills: one esbuild bundle of `childTs` in `dir` starts
 * several times faster than tsx compiling the sources on every spawn; tsx is the fallback.
 * The PFX key-derivation worker is bundled beside it, as the app's build does.
 */
export async function childRunner(childTs: string, dir: string): Promise<{ cmd: string; args: string[] }> {
  try {
    const esbuild = await import('esbuild')
    const outdir = join(dir, 'child')
    await esbuild.build({
      entryPoints: { child: childTs, 'pfx-kdf-worker': join(import.meta.dirname, '../../core/formats/pfx-kdf-worker.ts') },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      outdir,
      outExtension: { '.js': '.mjs' },
      minify: true,
      logLevel: 'silent',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    })
    return { cmd: process.execPath, args: [join(outdir, 'child.mjs')] }
  } catch {
    return { cmd: process.execPath, args: ['--import', 'tsx', childTs] }
  }
}
