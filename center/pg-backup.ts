import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import { CertError } from '../shared/errors'
import { fsyncDir, fsyncFile, requireKnownSchema } from './backup'
import { takeRestoreLock } from './serving-lock'

/**
 * Backup and restore of a center whose tables live in PostgreSQL, with PostgreSQL's own tools:
 * `pg_dump --format=custom` reads one consistent snapshot while the nodes keep serving, and
 * `pg_restore --clean --single-transaction` puts a dump back all at once or not at all. As for
 * SQLite (center/backup.ts), a restore refuses while any node still serves (the serving lock,
 * center/serving-lock.ts) and keeps what it replaces; the key files in the data directory are
 * backed up apart from the dump.
 */

type Tool = 'pg_dump' | 'pg_restore'

/** The tool on the PATH, else the newest of Debian's versioned PostgreSQL binaries. */
function toolPath(tool: Tool): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, tool))) return join(dir, tool)
  }
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', tool))) return join(root, v, 'bin', tool)
  throw new CertError('UNSUPPORTED', `${tool} was not found: install PostgreSQL's client programs (e.g. apt-get install postgresql-client)`)
}

/**
 * The URL without its password (which goes to the tool in PGPASSWORD, never on a command line
 * others can list), whether it stood before the host or as libpq's `?password=` parameter.
 */
function connection(dbUrl: string): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(dbUrl)
  const password = u.searchParams.get('password') ?? decodeURIComponent(u.password)
  u.password = ''
  u.searchParams.delete('password')
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (password !== '') env.PGPASSWORD = password
  return { url: u.toString(), env }
}

function run(tool: Tool, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = toolPath(tool)
  return new Promise((done, fail) => {
    execFile(path, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return done(stdout)
      const line = stderr.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? err.message.split('\n')[0] ?? 'unknown error'
      fail(new CertError('IO', `${tool} failed: ${line.replace(/^(pg_dump|pg_restore): (error: )?/, '')}`))
    })
  })
}

/**
 * Checks that `file` is a custom-format dump of a center this version can run: it holds the
 * migrations table with both modules, none newer than this build knows.
 */
export async function checkPgDump(file: string): Promise<void> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new CertError('NOT_FOUND', `cannot read ${file}`)
  let copy: string
  try {
    // The rows of schema_migrations as COPY text on stdout; nothing is connected to.
    copy = await run('pg_restore', ['--data-only', '--table=schema_migrations', '--file=-', file])
  } catch {
    throw new CertError('DAMAGED', `${file} is not a PostgreSQL dump (pg_dump --format=custom)`)
  }
  const versions = new Map<string, number>()
  let inCopy = false
  for (const line of copy.split('\n')) {
    if (/^COPY [\w."]*schema_migrations /.test(line)) inCopy = true
    else if (line === '\\.') inCopy = false
    else if (inCopy) {
      const [module, v] = line.split('\t')
      if (module && v && /^\d+$/.test(v)) versions.set(module, Math.max(versions.get(module) ?? 0, Number(v)))
    }
  }
  requireKnownSchema(file, versions, 'a dump of a center database')
}

/** `pg_dump --format=custom` of the center's database into `outFile` while the nodes serve; never overwrites. */
export async function backupPgDb(dbUrl: string, outFile: string, opts: { checkCenter?: boolean } = {}): Promise<{ bytes: number }> {
  const out = resolve(outFile)
  if (existsSync(out)) throw new CertError('CONFLICT', `${outFile} already exists`, { reason: 'exists' })
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`)
  const { url, env } = connection(dbUrl)
  try {
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${tmp}`, `--dbname=${url}`], env)
    if (opts.checkCenter !== false) await checkPgDump(tmp)
    fsyncFile(tmp)
    try {
      linkSync(tmp, out)
    } catch (err) {
      if ((err as { code?: string }).code === 'EEXIST') throw new CertError('CONFLICT', `${outFile} already exists`, { reason: 'exists' })
      throw err
    }
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp)
  }
  fsyncDir(dirname(out))
  return { bytes: statSync(out).size }
}

/**
 * Puts the dump `fromFile` in place of the center's tables, with every node stopped (refused
 * otherwise). What the database held before is dumped first to
 * `<dataDir>/center.before-restore-<time>.dump`; then one `pg_restore --single-transaction`
 * drops and recreates the tables, so a failure leaves the old contents in place.
 */
export async function restorePgDb(dataDir: string, dbUrl: string, fromFile: string): Promise<{ kept: string }> {
  await checkPgDump(fromFile)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const lock = await takeRestoreLock(dataDir, dbUrl)
  try {
    const kept = join(dataDir, `center.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}.dump`)
    // Whatever is there, even a database that holds no center yet (restoring into a new one).
    await backupPgDb(dbUrl, kept, { checkCenter: false })
    const { url, env } = connection(dbUrl)
    await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--dbname=${url}`, fromFile], env)
    return { kept }
  } finally {
    await lock.release()
  }
}
