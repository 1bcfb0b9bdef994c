#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { CertError, toErrorInfo } from '../shared/errors'
import { reasonSentence } from '../shared/i18n/reason-text'
import { UsageError, cliContext, type CliContext, type CliIO, type Command } from './command'
import { commandGroups, loadAllCommands } from './commands/index'
import pkg from '../package.json' with { type: 'json' }

/** Exit code for a CertError: checks that failed are 1, bad input is 2. */
function exitCodeFor(code: string): number {
  return code === 'WRONG_PASSWORD' || code === 'KEY_MISMATCH' ? 1 : 2
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

let stdinLines: AsyncIterator<string> | undefined

/** One line of standard input; the reader stays open across questions and ends with the input. */
async function readLine(): Promise<string> {
  if (!stdinLines) {
    const { createInterface } = await import('node:readline')
    stdinLines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]()
  }
  const next = await stdinLines.next()
  if (next.done) throw new UsageError('standard input ended before the answer was given')
  return next.value
}

export const processIO: CliIO = {
  async ask(question) {
    process.stderr.write(question.endsWith(' ') ? question : question + ' ')
    return (await readLine()).trim()
  },
  ...(process.stderr.isTTY ? { status: (t: string) => void process.stderr.write(`\r\x1b[K${t}`) } : {}),
  onInterrupt(handler) {
    // The first Ctrl-C cancels the operation (it stops between stages and writes nothing
    // half-way); a second one, if it has not stopped yet, ends the process as usual.
    const onSigint = (): void => {
      process.off('SIGINT', onSigint)
      handler()
    }
    process.on('SIGINT', onSigint)
    return () => process.off('SIGINT', onSigint)
  },
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  async readSecret(p) {
    let text: string
    try {
      text = p === '-' ? await readStdin() : await readFile(p, 'utf8')
    } catch {
      throw new UsageError(`cannot read secret file: ${p}`)
    }
    return text.replace(/\r?\n$/, '')
  },
}

export function helpText(list: Command[]): string {
  const lines = ['certmgr: manage Korean joint certificates (공동인증서)', '', 'Usage: certmgr <command> [options]', '', 'Commands:']
  for (const c of list) lines.push(`  ${c.usage}`, `      ${c.summary}`)
  lines.push('  --version', '      print the version')
  lines.push('', 'Passwords and numbers are read only from files (- for standard input), never from arguments.')
  lines.push('Exit codes: 0 success, 1 a check failed (wrong password, identity mismatch), 2 bad usage or input.')
  return lines.join('\n')
}

/** The command name argv starts with (two words, three, then one), among `names`. */
function commandName(argv: string[], names: readonly string[]): string | undefined {
  for (const n of [2, 3, 1]) {
    const name = argv.slice(0, n).join(' ')
    if (argv.length >= n && names.includes(name)) return name
  }
  return undefined
}

/** The command argv names, loading only the file that defines it (or searching `list`). */
async function findCommand(argv: string[], list?: Command[]): Promise<{ cmd: Command; rest: string[] } | undefined> {
  const group = list ? undefined : commandGroups.find((g) => commandName(argv, g.names))
  const pool = list ?? (group ? await group.load() : [])
  const name = commandName(argv, pool.map((c) => c.name))
  const cmd = pool.find((c) => c.name === name)
  return cmd && name ? { cmd, rest: argv.slice(name.split(' ').length) } : undefined
}

/**
 * Runs one command line; `list` replaces the real commands (tests pass their own). `ctx` is
 * built once per run: the root policy every command uses.
 */
export async function main(argv: string[], io: CliIO = processIO, list?: Command[], ctx: CliContext = cliContext()): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.out(`certmgr ${pkg.version}`)
    return 0
  }
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.out(helpText(list ?? (await loadAllCommands())))
    return argv.length === 0 ? 2 : 0
  }
  const found = await findCommand(argv, list)
  if (!found) {
    io.err(`certmgr: unknown command '${argv.slice(0, 2).join(' ')}' (see 'certmgr help')`)
    return 2
  }
  const { cmd, rest } = found
  try {
    const parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true })
    return await cmd.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | string[] | undefined> }, io, ctx)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`certmgr ${cmd.name}: ${err.message} (usage: certmgr ${cmd.usage})`)
      return 2
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`certmgr ${cmd.name}: ${(err as Error).message.split('\n')[0]} (usage: certmgr ${cmd.usage})`)
      return 2
    }
    const info = err instanceof CertError ? err.toInfo() : toErrorInfo(err)
    // The reason's sentence says what to do next; the message says what failed.
    const advice = reasonSentence('en', info)
    io.err(`certmgr ${cmd.name}: ${info.message}${advice ? ` — ${advice}` : ''}`)
    return exitCodeFor(info.code)
  }
}

/** Runs the command line of this process and exits with its code. */
export function runAsProcess(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => {
      process.stderr.write('certmgr: unexpected internal error\n')
      process.exit(2)
    },
  )
}

// `npm run certmgr` (tsx cli/certmgr.ts) runs this file directly; tests import it; the built
// command enters through cli/bin.ts.
if (/certmgr\.ts$/.test(process.argv[1] ?? '')) runAsProcess()
