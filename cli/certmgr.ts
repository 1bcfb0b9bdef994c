#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { CertError, toErrorInfo } from '../shared/errors'
import { UsageError, type CliIO, type Command } from './command'
import { commands } from './commands/index'

/** Exit code for a CertError: checks that failed are 1, bad input is 2. */
function exitCodeFor(code: string): number {
  return code === 'WRONG_PASSWORD' || code === 'KEY_MISMATCH' ? 1 : 2
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export const processIO: CliIO = {
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

export function helpText(list: Command[] = commands): string {
  const lines = ['certmgr: manage Korean joint certificates (공동인증서)', '', 'Usage: certmgr <command> [options]', '', 'Commands:']
  for (const c of list) lines.push(`  ${c.usage}`, `      ${c.summary}`)
  lines.push('', 'Passwords and numbers are read only from files (- for standard input), never from arguments.')
  lines.push('Exit codes: 0 success, 1 a check failed (wrong password, identity mismatch), 2 bad usage or input.')
  return lines.join('\n')
}

function findCommand(argv: string[], list: Command[]): { cmd: Command; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ')
  const byTwo = list.find((c) => c.name === two)
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) }
  const three = argv.slice(0, 3).join(' ')
  const byThree = list.find((c) => c.name === three)
  if (byThree) return { cmd: byThree, rest: argv.slice(3) }
  const one = list.find((c) => c.name === argv[0])
  return one ? { cmd: one, rest: argv.slice(1) } : undefined
}

export async function main(argv: string[], io: CliIO = processIO, list: Command[] = commands): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.out(helpText(list))
    return argv.length === 0 ? 2 : 0
  }
  const found = findCommand(argv, list)
  if (!found) {
    io.err(`certmgr: unknown command '${argv.slice(0, 2).join(' ')}' (see 'certmgr help')`)
    return 2
  }
  const { cmd, rest } = found
  try {
    const parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true })
    return await cmd.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | string[] | undefined> }, io)
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
    io.err(`certmgr ${cmd.name}: ${info.message}`)
    return exitCodeFor(info.code)
  }
}

// Run only when executed directly, not when imported by tests.
const invoked = process.argv[1] ?? ''
if (/certmgr(\.ts|\.js|\.mjs)?$/.test(invoked)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => {
      process.stderr.write('certmgr: unexpected internal error\n')
      process.exit(2)
    },
  )
}
