/**
 * The process tests/reliability/token-renewal-kill.test.ts kills with SIGKILL at a step of a
 * renewal on a security token. Argument: a JSON config { module, label, pin, centerUrl,
 * dataDir, killAt? }; SOFTHSM2_CONF comes from the environment. With killAt the process kills
 * itself with SIGKILL when the renewal writes its journal entry: just before the write or just
 * after it. Runs one token renewal as the app and
 * the CLI do (with the recovery journal in the data folder) and prints "done" if it finishes.
 */
import { renewOnToken } from '../../core/usecases/renew-token'
import { RenewalJournal } from '../../core/usecases/renewal-journal'

const cfg = JSON.parse(process.argv[2] ?? '{}') as { module: string; label: string; pin: string; centerUrl: string; dataDir: string; killAt?: 'before-journal-write' | 'after-journal-write' }

/** The data folder's journal, killing this process at its first write when asked to. */
class KillingJournal extends RenewalJournal {
  override async add(...args: Parameters<RenewalJournal['add']>): Promise<void> {
    if (cfg.killAt === 'before-journal-write') process.kill(process.pid, 'SIGKILL')
    await super.add(...args)
    if (cfg.killAt === 'after-journal-write') process.kill(process.pid, 'SIGKILL')
  }
}
renewOnToken(
  { token: { module: cfg.module, label: cfg.label }, pin: cfg.pin },
  { center: { url: cfg.centerUrl, timeoutMs: 600_000 }, journal: new KillingJournal(cfg.dataDir) },
).then(
  () => process.stdout.write('done\n'),
  (err: unknown) => {
    process.stdout.write(`failed ${(err as Error).message}\n`)
    process.exitCode = 1
  },
)
