import { resolve } from 'node:path'
import { backupCenterDb, restoreCenterDb } from '../../center/backup'
import { UsageError, requireString, type Command } from '../command'
import { centerStore, centerStoreOptions } from './center-store'

const PG_DUMP_HINT = 'the center keeps its tables in PostgreSQL: back them up with pg_dump and restore with pg_restore (see the README)'

/** Backup and restore of the center's database (the operator's side). */
export const centerBackupCommands: Command[] = [
  {
    name: 'center backup',
    usage: 'center backup --data DIR --out FILE',
    summary: "Copy the center's database to FILE while it keeps serving (SQLite; for PostgreSQL use pg_dump)",
    options: { ...centerStoreOptions, out: { type: 'string' } },
    async run(args, io) {
      const { dataDir, dbUrl } = centerStore(args)
      const out = resolve(requireString(args, 'out'))
      if (dbUrl) throw new UsageError(PG_DUMP_HINT)
      const { bytes } = await backupCenterDb(dataDir, out)
      io.out(`backed up to ${out} (${bytes.toLocaleString('en-US')} bytes)`)
      io.out('keep the data directory (ca-key.p8.pem, ca-secret, ca.crt, ra-secret.key) with it: the sealed columns need ra-secret.key')
      return 0
    },
  },
  {
    name: 'center restore',
    usage: 'center restore --data DIR --from FILE',
    summary: "Replace the center's database with a backup (stop the center first; the old one is kept beside it)",
    options: { ...centerStoreOptions, from: { type: 'string' } },
    async run(args, io) {
      const { dataDir, dbUrl } = centerStore(args)
      const from = resolve(requireString(args, 'from'))
      if (dbUrl) throw new UsageError(PG_DUMP_HINT)
      const { kept } = await restoreCenterDb(dataDir, from)
      io.out(`restored ${from} into ${dataDir}`)
      if (kept) io.out(`the previous database is kept as ${kept}`)
      return 0
    },
  },
]
