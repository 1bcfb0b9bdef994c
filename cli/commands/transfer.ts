import { createInterface } from 'node:readline'
import QRCode from 'qrcode'
import { formatCode, normalizeCode, type TransferFormat } from '../../shared/cpace/transfer'
import { CertError } from '../../shared/errors'
import { outgoingFiles, storeReceived } from '../../core/transfer/files'
import { startReceiveSession, startSendSession, type ListenerOptions } from '../../core/transfer/listener'
import { optionalString, requirePositional, requireString, UsageError, type CliIO, type Command } from '../command'

export interface TransferCliDeps {
  /** The next line the user typed, or undefined at end of input. */
  readLine(): Promise<string | undefined>
  /** Extra listener options (tests: the page, shorter delays). */
  listener: Partial<ListenerOptions>
}

function stdinLines(): () => Promise<string | undefined> {
  let rl: ReturnType<typeof createInterface> | undefined
  const queue: string[] = []
  const waiters: ((v: string | undefined) => void)[] = []
  let ended = false
  return () => {
    if (!rl) {
      rl = createInterface({ input: process.stdin, terminal: false })
      rl.on('line', (l) => {
        const w = waiters.shift()
        if (w) w(l)
        else queue.push(l)
      })
      rl.on('close', () => {
        ended = true
        for (const w of waiters.splice(0)) w(undefined)
      })
    }
    const next = queue.shift()
    if (next !== undefined) return Promise.resolve(next)
    if (ended) return Promise.resolve(undefined)
    return new Promise((r) => waiters.push(r))
  }
}

function formatOption(args: { values: Record<string, unknown> }): TransferFormat | undefined {
  const f = args.values.format
  if (f === undefined) return undefined
  if (f !== 'pfx' && f !== 'npki') throw new UsageError('--format must be pfx or npki')
  return f
}

async function printQr(io: CliIO, url: string): Promise<void> {
  io.out(await QRCode.toString(url, { type: 'terminal', small: true }))
}

export function createTransferCommands(deps: Partial<TransferCliDeps> = {}): Command[] {
  const readLine = deps.readLine ?? stdinLines()
  const extra = deps.listener ?? {}
  return [
    {
      name: 'transfer send',
      usage: 'transfer send PATH --password-file F [--format pfx|npki] [--host ADDR] [--pfx-password-file F] [--qr]',
      summary:
        'Send a certificate (PFX file or NPKI folder) to a phone on the local network: open the printed URL on the phone, then type the number it shows (standard input). The certificate password (--password-file) must open the key before anything is sent; --format pfx on a folder builds a PFX.',
      options: {
        format: { type: 'string' },
        host: { type: 'string' },
        'password-file': { type: 'string' },
        'pfx-password-file': { type: 'string' },
        qr: { type: 'boolean' },
      },
      async run(args, io) {
        const path = requirePositional(args, 0, 'PATH (a PFX file or a certificate folder)')
        const format = formatOption(args)
        const pwFile = requireString(args, 'password-file')
        const pfxPwFile = optionalString(args, 'pfx-password-file')
        // Standard input carries the number, so passwords must come from real files here.
        if (pwFile === '-' || pfxPwFile === '-') throw new UsageError('standard input is for the number; give passwords as files')
        const password = await io.readSecret(pwFile)
        const pfxPassword = pfxPwFile ? await io.readSecret(pfxPwFile) : undefined
        const out = await outgoingFiles(path, format, { password, pfxPassword })
        const s = await startSendSession({ ...extra, files: out.files, format: out.format, host: optionalString(args, 'host') ?? extra.host })
        io.out(`URL: ${s.url}`)
        if (args.values.qr) await printQr(io, s.url)
        io.out('Open the URL on the phone (same network), then type the 12-digit number the phone shows:')
        const ended = s.done.then(
          () => 'done' as const,
          (err: unknown) => err,
        )
        try {
          for (;;) {
            const line = await Promise.race([readLine(), ended])
            if (line === 'done') break
            if (line instanceof Error || (line !== undefined && typeof line !== 'string')) throw line
            if (line === undefined) throw new UsageError('no number given (end of input)')
            const code = normalizeCode(line)
            if (!code) {
              io.err('certmgr transfer send: the number has 12 digits; try again')
              continue
            }
            const r = await s.submitCode(code)
            if (r.ok) break
            if (r.locked) throw new CertError('TRANSFER', 'locked after three wrong numbers (someone may be guessing); start again', { state: 'locked' })
            io.err(`certmgr transfer send: the number does not match; ${r.failuresLeft} tries left`)
          }
          await s.done
          io.out(`Sent the certificate (${out.format}) to the phone.`)
          return 0
        } finally {
          s.cancel()
        }
      },
    },
    {
      name: 'transfer receive',
      usage: 'transfer receive --root DIR [--host ADDR] [--password-file F] [--replace] [--qr]',
      summary:
        'Receive a certificate from a phone on the local network: open the printed URL on the phone and type the printed number there. What arrives is stored as an NPKI folder under DIR; --password-file verifies the key (and is required for a PFX).',
      options: {
        root: { type: 'string' },
        host: { type: 'string' },
        'password-file': { type: 'string' },
        replace: { type: 'boolean' },
        qr: { type: 'boolean' },
      },
      async run(args, io, ctx) {
        const root = ctx.roots.given(requireString(args, 'root')).path
        const pwFile = optionalString(args, 'password-file')
        const s = await startReceiveSession({ ...extra, host: optionalString(args, 'host') ?? extra.host })
        try {
          io.out(`URL: ${s.url}`)
          if (args.values.qr) await printQr(io, s.url)
          io.out(`Number: ${formatCode(s.code)}`)
          io.out('Open the URL on the phone (same network) and type this number there.')
          const received = await s.result
          io.out(`Received ${received.format === 'pfx' ? 'a PFX file' : 'NPKI files'}${received.summary.owner ? ` (${received.summary.owner})` : ''}.`)
          const password = pwFile ? await io.readSecret(pwFile) : undefined
          if (password === undefined && received.format === 'pfx') throw new UsageError('a PFX arrived: pass --password-file to store it as an NPKI folder')
          const r = await storeReceived(received, password, root, { replace: args.values.replace === true })
          io.out(`Stored in ${r.path} (${r.outcome}${password === undefined ? ', password not checked' : ''}).`)
          return 0
        } finally {
          s.cancel()
        }
      },
    },
  ]
}

export const transferCommands: Command[] = createTransferCommands()
