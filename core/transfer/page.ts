import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CertError } from '../../shared/errors'

/** The built phone page (see build-page.ts), held in memory while a session runs. */
export interface PhonePage {
  html: string
  js: Uint8Array
  css: Uint8Array
}

/** Where the phone bundle may be: beside the bundled main process, or the source tree's out/. */
export function phonePageCandidates(): string[] {
  const here = import.meta.dirname
  const list = [resolve(here, '../phone'), resolve(here, '../../out/phone'), resolve(process.cwd(), 'out/phone')]
  if (process.env.CERTMGR_PHONE_DIR) list.unshift(process.env.CERTMGR_PHONE_DIR)
  return list
}

export function loadPhonePage(dir?: string): PhonePage {
  const found = dir ?? phonePageCandidates().find((d) => existsSync(join(d, 'index.html')) && existsSync(join(d, 'app.js')))
  if (!found) throw new CertError('INTERNAL', 'the phone page is not built (run: npx tsx core/transfer/build-page.ts)')
  try {
    return {
      html: readFileSync(join(found, 'index.html'), 'utf8'),
      js: readFileSync(join(found, 'app.js')),
      css: existsSync(join(found, 'app.css')) ? readFileSync(join(found, 'app.css')) : new Uint8Array(0),
    }
  } catch {
    throw new CertError('INTERNAL', 'the phone page could not be read')
  }
}
