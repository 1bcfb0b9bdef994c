import { resolve } from 'node:path'
import { isPostgresUrl } from '../../center/pg-client'
import { UsageError, optionalString, requireString, type ParsedArgs } from '../command'

/** Where `certmgr center …` finds the center's tables when --db is not given. */
export const CENTER_DB_ENV = 'CERTMGR_CENTER_DB'

/** The options every `certmgr center …` command takes to find the center. */
export const centerStoreOptions = {
  data: { type: 'string' as const },
  db: { type: 'string' as const },
}

export interface CenterStore {
  /** Keys and secrets (and, without `dbUrl`, the SQLite file `center.db`). */
  dataDir: string
  /** `postgres://…` when the tables live in PostgreSQL. */
  dbUrl?: string
}

/** --data DIR, and --db URL or CERTMGR_CENTER_DB (a PostgreSQL URL) in place of the SQLite file under DIR. */
export function centerStore(args: ParsedArgs): CenterStore {
  const dataDir = resolve(requireString(args, 'data'))
  const fromEnv = process.env[CENTER_DB_ENV]
  const dbUrl = optionalString(args, 'db') ?? (fromEnv === '' ? undefined : fromEnv)
  if (dbUrl === undefined) return { dataDir }
  if (!isPostgresUrl(dbUrl)) throw new UsageError(`--db (or ${CENTER_DB_ENV}) must be a postgres:// URL`)
  return { dataDir, dbUrl }
}
