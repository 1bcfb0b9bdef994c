import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Client } from '@libsql/client'
import { CertError } from '../../shared/errors'

/** Sits next to the database file; back both up together or the sealed columns are lost. */
export const RA_KEY_FILE = 'ra-secret.key'

/**
 * Seals customer secrets (resident number, card slots, OTP seed, auth codes) with AES-256-GCM
 * so that a dump of the database or a log of a query never shows them, and gives keyed
 * fingerprints for lookups without storing the value.
 */
export class SecretBox {
  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('the RA key is 32 bytes')
  }

  seal(plain: string, aad: string): string {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.key, iv)
    c.setAAD(Buffer.from(aad))
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()])
    return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`
  }

  open(sealed: string, aad: string): string {
    const raw = sealed.startsWith('v1.') ? Buffer.from(sealed.slice(3), 'base64') : undefined
    if (!raw || raw.length < 28) throw new CertError('INTERNAL', 'a sealed RA record is damaged')
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
      d.setAAD(Buffer.from(aad))
      d.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')
    } catch {
      throw new CertError('INTERNAL', 'a sealed RA record cannot be opened (was the RA key file replaced?)')
    }
  }

  /** Keyed fingerprint: equal inputs match, the value itself cannot be brute-forced offline without the key. */
  mac(label: string, value: string): string {
    return createHmac('sha256', this.key).update(label).update('\0').update(value).digest('hex')
  }
}

async function databaseFile(db: Client): Promise<string | undefined> {
  try {
    const rs = await db.execute('PRAGMA database_list')
    for (const row of rs.rows) {
      if (row.name === 'main' && typeof row.file === 'string' && row.file !== '') return row.file
    }
  } catch {
    // not a local SQLite file (remote libsql): fall through
  }
  return undefined
}

/**
 * The key lives in a 0600 file in `keyDir` (the center's data directory; by default the SQLite
 * file's folder), so the CLI and the running server (several processes, one database) find the
 * same key. A PostgreSQL database never holds it: a dump of the database then shows no secret.
 * Only an in-memory SQLite database keeps it in ra_meta.
 */
export async function loadRaKey(db: Client, keyDir?: string): Promise<Uint8Array> {
  const file = keyDir === undefined ? await databaseFile(db) : undefined
  const dir = keyDir ?? (file ? dirname(file) : undefined)
  if (dir) {
    const path = join(dir, RA_KEY_FILE)
    const fresh = randomBytes(32)
    // Written aside and linked into place, so a second process never reads a half-written key.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    await writeFile(tmp, fresh.toString('base64') + '\n', { flag: 'wx', mode: 0o600 })
    try {
      await link(tmp, path)
      return new Uint8Array(fresh)
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err
    } finally {
      await unlink(tmp).catch(() => undefined)
    }
    const text = (await readFile(path, 'utf8')).trim()
    const key = Buffer.from(text, 'base64')
    if (key.length !== 32) throw new CertError('DAMAGED', 'the RA key file is damaged', { file: RA_KEY_FILE })
    return new Uint8Array(key)
  }
  if (db.protocol === 'postgres') throw new CertError('INTERNAL', 'the RA key needs the data directory (keyDir) on PostgreSQL')
  const fresh = randomBytes(32).toString('base64')
  await db.execute({ sql: "INSERT INTO ra_meta (key, value) VALUES ('secret_key', ?) ON CONFLICT (key) DO NOTHING", args: [fresh] })
  const rs = await db.execute("SELECT value FROM ra_meta WHERE key = 'secret_key'")
  return new Uint8Array(Buffer.from(String(rs.rows[0]?.value ?? ''), 'base64'))
}
