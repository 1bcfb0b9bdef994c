import { createRequire } from 'node:module'

const nodeRequire = createRequire(import.meta.url)

/**
 * A native package (pkcs11js, libsql) loaded the first time it is used instead of when the
 * module that names it is imported: loading their binaries costs about 90 ms, which every
 * `certmgr` command and the app's start would otherwise pay even when they never touch a token
 * or the center's database.
 */
export function lazyRequire<T>(name: string): () => T {
  let mod: T | undefined
  return () => (mod ??= nodeRequire(name) as T)
}
