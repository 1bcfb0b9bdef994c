import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT })
  const [res] = await eslint.lintText(code, { filePath: resolve(ROOT, file) })
  return res!.messages.filter((m) => m.ruleId === 'certmgr/layers').map((m) => m.message)
}

describe('layer rule', () => {
  it('fails an import from core up into the app layer', async () => {
    expect(await layerErrors('core/certs/x.ts', "import { createDispatcher } from '../../app/dispatch'\nexport const x = createDispatcher\n"))
      .toEqual(['core/ may not import from app/ (layer rule, eslint/layers.js)'])
  })
  it('fails center importing the app, the hosts or the CLI', async () => {
    expect(await layerErrors('center/ra/x.ts', "export { main } from '../../cli/certmgr'\n")).toHaveLength(1)
    expect(await layerErrors('center/x.ts', "import '../electron/main/shell'\n")).toHaveLength(1)
    expect(await layerErrors('center/x.ts', "export const f = () => import('../app/app-services')\n")).toHaveLength(1)
  })
  it('fails shared importing core and the renderer importing core', async () => {
    expect(await layerErrors('shared/x.ts', "import { parseCertificate } from '../core/certs/parse'\nexport const p = parseCertificate\n")).toHaveLength(1)
    expect(await layerErrors('renderer/src/x.ts', "import { parseCertificate } from '../../core/certs/parse'\nexport const p = parseCertificate\n")).toHaveLength(1)
  })
  it('accepts imports that point down', async () => {
    expect(await layerErrors('app/x.ts', "import { parseCertificate } from '../core/certs/parse'\nexport const p = parseCertificate\n")).toEqual([])
    expect(await layerErrors('center/x.ts', "import { verifyVid } from '../core/formats/vid'\nexport const v = verifyVid\n")).toEqual([])
    expect(await layerErrors('cli/x.ts', "import { createAppServices } from '../app/app-services'\nexport const c = createAppServices\n")).toEqual([])
  })
  it('lets a test next to the code use the shared test helpers', async () => {
    expect(await layerErrors('core/certs/x.test.ts', "import { tempDir } from '../../tests/helpers/fixtures'\nexport const t = tempDir\n")).toEqual([])
    expect(await layerErrors('core/certs/x.ts', "import { tempDir } from '../../tests/helpers/fixtures'\nexport const t = tempDir\n")).toHaveLength(1)
  })
})

/** Every .ts file under dir (tests included). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

describe('inside the core', () => {
  // The use-cases compose the storage, key, PFX and enrollment modules; those report their
  // stages through core/progress, never by importing the use-case folder above them.
  it('no core module outside core/usecases imports from core/usecases', () => {
    const usecases = resolve(ROOT, 'core/usecases') + sep
    const upward: string[] = []
    for (const file of tsFiles(resolve(ROOT, 'core'))) {
      if (file.startsWith(usecases)) continue
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        if ((resolve(dirname(file), m[1]!) + sep).startsWith(usecases)) upward.push(`${relative(ROOT, file)} → ${m[1]}`)
      }
    }
    expect(upward).toEqual([])
  })
})
