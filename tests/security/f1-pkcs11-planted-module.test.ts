import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createStorageHandlers } from '../../app/storage/handlers'
import { RootPolicy } from '../../core/roots/root-policy'
import { availableModules, DEFAULT_MODULES, listTokens } from '../../core/token/pkcs11'
import { tempDir } from '../helpers/fixtures'

// Finding 1 of the desktop security review: the default PKCS#11 module list included
// C:\SoftHSM2\lib\softhsm2-x64.dll, a folder any Windows user can create, and the list view
// loaded whatever was there at start-up. On Linux the same attack is a shared object planted
// at a default path in a folder the attacker can write: its constructor runs on dlopen, before
// any PKCS#11 call, so a marker file it writes proves it was loaded.
const tmp = tempDir('sec-f1-')
const defaults = DEFAULT_MODULES[process.platform] as string[]
const before = [...defaults]
afterAll(() => {
  defaults.splice(0, defaults.length, ...before)
  rmSync(tmp, { recursive: true, force: true })
})

/** Compiles a shared object whose constructor writes `marker`, at `path`. */
function plant(path: string, marker: string): void {
  const src = join(tmp, `${Math.random().toString(36).slice(2)}.c`)
  writeFileSync(src, `#include <stdio.h>\n__attribute__((constructor)) static void planted(void) { FILE *f = fopen(${JSON.stringify(marker)}, "w"); if (f) { fputs("loaded", f); fclose(f); } }\n`)
  mkdirSync(join(path, '..'), { recursive: true })
  execFileSync('gcc', ['-shared', '-fPIC', '-o', path, src])
}

describe.runIf(process.platform === 'linux')('finding 1: a module planted at a user-writable default path', () => {
  it('is neither offered nor loaded, by the core or by the storage list', async () => {
    // What C:\SoftHSM2 is on Windows: a default path under a folder the attacker could create.
    const planted = join(tmp, 'SoftHSM2', 'lib', 'libsofthsm2.so')
    const marker = join(tmp, 'planted-loaded')
    plant(planted, marker)
    defaults.unshift(planted)

    expect(availableModules()).not.toContain(planted)
    await listTokens(availableModules())
    const handlers = createStorageHandlers({ dataDir: join(tmp, 'data'), roots: new RootPolicy({ drives: async () => [] }), tokenModules: async () => [] })
    await handlers['storage.locations']({}, { emit: () => undefined })
    expect(existsSync(marker)).toBe(false)
  })

  it('a module the user chose is loaded wherever it is (the marker works)', async () => {
    const chosen = join(tmp, 'chosen', 'libvendor-pkcs11.so')
    const marker = join(tmp, 'chosen-loaded')
    plant(chosen, marker)
    expect(availableModules([chosen])).toContain(chosen)
    await listTokens(availableModules([chosen]))
    expect(existsSync(marker)).toBe(true)
  })

  it('the modules in administrator-only folders are still offered', () => {
    for (const m of availableModules()) expect(m.startsWith('/usr/lib/') || m.startsWith('/usr/lib64/') || m.startsWith('/lib')).toBe(true)
    if (existsSync('/usr/lib/softhsm/libsofthsm2.so')) expect(availableModules()).toContain('/usr/lib/softhsm/libsofthsm2.so')
  })
})
