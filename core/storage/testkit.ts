import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseCertificate } from '../certs/parse'

/** The PyPinkSign fixture set, read from ../shared/fixtures (never copied into the repo). */
export const FIXTURES = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')

export function fixture(): { cert: Uint8Array; key: Uint8Array; password: string; caFolder: string; folderName: string } {
  const cert = new Uint8Array(readFileSync(join(FIXTURES, 'signCert.der')))
  const key = new Uint8Array(readFileSync(join(FIXTURES, 'signPri.key')))
  const password = readFileSync(join(FIXTURES, 'password.txt'), 'utf8').replace(/\r?\n$/, '')
  const f = parseCertificate(cert)
  return { cert, key, password, caFolder: f.caFolder, folderName: f.npkiFolderName }
}

/** Lays the fixture out as `<root>/<CA>/USER/<DN>/` (optionally with a km pair) and returns the folder. */
export function plantFixture(root: string, opts: { km?: boolean; user?: string; extra?: Record<string, Uint8Array> } = {}): string {
  const fx = fixture()
  const folder = join(root, fx.caFolder, opts.user ?? 'USER', fx.folderName)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'signCert.der'), fx.cert)
  writeFileSync(join(folder, 'signPri.key'), fx.key)
  if (opts.km) {
    // The fixture has no km pair; any bytes show that the pair travels with the sign pair.
    writeFileSync(join(folder, 'kmCert.der'), fx.cert)
    writeFileSync(join(folder, 'kmPri.key'), fx.key)
  }
  for (const [n, d] of Object.entries(opts.extra ?? {})) writeFileSync(join(folder, n), d)
  return folder
}

/** The fixture certificate with one signature byte changed: same name and folder, different certificate. */
export function otherCert(): Uint8Array {
  const c = new Uint8Array(fixture().cert)
  c[c.length - 1] = c[c.length - 1]! ^ 0xff
  return c
}
