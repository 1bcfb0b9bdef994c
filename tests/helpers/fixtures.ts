import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** ../shared/fixtures beside the repository (tests may read it; never copied into the repo). */
export const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures')
export const PINK = join(FIXTURES, 'pypinksign')
export const PINK_PASSWORD = readFileSync(join(PINK, 'password.txt'), 'utf8')
export const PINK_FOLDER = 'cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr'

export function tempDir(prefix = 'certmgr-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Copies the PyPinkSign pair into `<root>/yessign/<userDir>/<folder>/`. */
export function addPinkCert(root: string, opts: { folder?: string; userDir?: string; ca?: string } = {}): string {
  const dir = join(root, opts.ca ?? 'yessign', opts.userDir ?? 'USER', opts.folder ?? PINK_FOLDER)
  mkdirSync(dir, { recursive: true })
  copyFileSync(join(PINK, 'signCert.der'), join(dir, 'signCert.der'))
  copyFileSync(join(PINK, 'signPri.key'), join(dir, 'signPri.key'))
  return dir
}

/** A root with the fixture, a corrupt certificate and a folder missing its key. */
export function makeMixedRoot(): { root: string; good: string; corrupt: string; keyless: string } {
  const root = join(tempDir('certmgr-npki-'), 'NPKI')
  const good = addPinkCert(root)
  const corrupt = join(root, 'KICA', 'User', 'cn=broken,o=KICA,c=kr')
  mkdirSync(corrupt, { recursive: true })
  writeFileSync(join(corrupt, 'signCert.der'), Buffer.from('30820100deadbeef', 'hex'))
  writeFileSync(join(corrupt, 'signPri.key'), Buffer.alloc(32))
  const keyless = join(root, 'yessign', 'USER', 'cn=nokey,o=yessign,c=kr')
  mkdirSync(keyless, { recursive: true })
  copyFileSync(join(PINK, 'signCert.der'), join(keyless, 'signCert.der'))
  return { root, good, corrupt, keyless }
}
