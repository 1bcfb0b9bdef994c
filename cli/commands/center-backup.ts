import { resolve } from 'node:path'
import { backupCenterDb, restoreCenterDb } from '../../center/backup'
import { backupPgDb, restorePgDb } from '../../center/pg-backup'
import { requireString, type Command } from '../command'
import { centerStore, centerStoreOptions } from './center-store'

const KEYS_NOTE = 'keep the data directory (ca-key.p8.pem, ca-secret, ca.crt, ra-secret.key) with it: the sealed columns need ra-secret.key'

/** Backup and restore of the center's database (the operator's side): SQLite under --data, or PostgreSQL with --db. */
export const centerBackupCommands: Command[] = [
  {
    name: 'center backup',
    usage: 'center backup --data DIR [--db postgres://…] --out FILE',
    summary: "Copy the center's database to FILE while it keeps serving (SQLite's snapshot, or pg_dump for PostgreSQL)",
    options: { ...centerStoreOptions, out: { type: 'string' } },
    async run(args, io) {
      const { dataDir, dbUrl } = centerStore(args)
      const out = resolve(requireString(args, 'out'))
      const { bytes } = dbUrl ? await backupPgDb(dbUrl, out) : await backupCenterDb(dataDir, out)
      io.out(`backed up to ${out} (${bytes.toLocaleString('en-US')} bytes)`)
      io.out(KEYS_NOTE)
      return 0
    },
  },
  {
    name: 'center restore',
    usage: 'center restore --data DIR [--db postgres://…] --from FILE',
    summary: "Replace the center's database with a backup (refused while a center serves on it; the old one is kept)",
    options: { ...centerStoreOptions, from: { type: 'string' } },
    async run(args, io) {
      const { dataDir, dbUrl } = centerStore(args)
      const from = resolve(requireString(args, 'from'))
      const { kept } = dbUrl ? await restorePgDb(dataDir, dbUrl, from) : await restoreCenterDb(dataDir, from)
      io.out(`restored ${from} into ${dbUrl ? 'the PostgreSQL database' : dataDir}`)
      if (kept) io.out(`the previous database is kept as ${kept}`)
      return 0
    },
  },
]
