/**
 * The process tests/reliability/renewal-lost-confirmation.test.ts kills with SIGKILL between
 * the local save of a renewal and the center's answer to its certConf. Argument: a JSON
 * config { folder, password, centerUrl, dataDir }. Runs one renewal as the app does (with the
 * recovery journal in the data folder) and prints "done" if it ever finishes.
 */
import { Trash } from '../../core/storage/trash'
import { renewFolder } from '../../core/usecases/renew-folder'
import { RenewalJournal } from '../../core/usecases/renewal-journal'

const cfg = JSON.parse(process.argv[2] ?? '{}') as { folder: string; password: string; centerUrl: string; dataDir: string }
renewFolder(
  { folder: cfg.folder, password: cfg.password },
  { center: { url: cfg.centerUrl, timeoutMs: 600_000 }, trash: new Trash(cfg.dataDir), journal: new RenewalJournal(cfg.dataDir) },
).then(
  () => process.stdout.write('done\n'),
  (err: unknown) => {
    process.stdout.write(`failed ${(err as Error).message}\n`)
    process.exitCode = 1
  },
)
