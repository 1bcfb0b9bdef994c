import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PhoneClient } from '../../shared/cpace/client'
import { generateCode } from '../../shared/cpace/transfer'
import { buildPhonePage } from '../../core/transfer/build-page'
import { openSignKey } from '../../core/formats/signpri'
import { main } from '../certmgr'
import { createTransferCommands } from './transfer'
import { memIO } from '../../tests/helpers/cli-io'

const ROOT = resolve(import.meta.dirname, '../..')
const FIX = resolve(ROOT, '../shared/fixtures/pypinksign')
const cert = new Uint8Array(readFileSync(resolve(FIX, 'signCert.der')))
const key = new Uint8Array(readFileSync(resolve(FIX, 'signPri.key')))
const page = { html: '<html><head></head></html>', js: new Uint8Array(0), css: new Uint8Array(0) }

let work = ''
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'transfer-cli-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))


async function waitFor<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('certmgr transfer', () => {
  it('send: prints the URL, takes the number from standard input, retries after a wrong one', async () => {
    const folder = join(work, 'cert')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'signCert.der'), cert)
    writeFileSync(join(folder, 'signPri.key'), key)
    const lines: string[] = []
    let wake: (() => void) | undefined
    const readLine = async () => {
      while (lines.length === 0) await new Promise<void>((r) => (wake = r))
      return lines.shift()
    }
    const cmds = createTransferCommands({ readLine, listener: { page, retryBaseMs: 10 } })
    const io = memIO()
    const run = main(['transfer', 'send', folder, '--host', '127.0.0.1', '--password-file', resolve(FIX, 'password.txt')], io, cmds)
    const url = await waitFor(() => io.outText.find((l) => l.startsWith('URL: '))?.slice(5))
    const code = generateCode()
    const phone = new PhoneClient(url + '/', new URL(url).origin).receive(code)
    lines.push(code.slice(0, 11) + String((Number(code[11]) + 1) % 10))
    wake?.()
    await waitFor(() => (io.errText.some((l) => l.includes('2 tries left')) ? true : undefined))
    lines.push(`${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8)}`)
    wake?.()
    expect(await run).toBe(0)
    expect((await phone).files.map((f) => f.data)).toEqual([cert, key])
    expect(io.outText.join('\n')).toContain('Sent the certificate (npki)')
  })

  it('send: refuses passwords on standard input and a missing path (exit 2)', async () => {
    const cmds = createTransferCommands({ readLine: async () => undefined, listener: { page } })
    const io = memIO()
    expect(await main(['transfer', 'send'], io, cmds)).toBe(2)
    expect(await main(['transfer', 'send', work, '--format', 'pfx', '--password-file', '-'], io, cmds)).toBe(2)
    expect(io.errText.join('\n')).toContain('standard input is for the number')
  })

  it('receive (real process): prints URL and number, stores the NPKI folder under --root', async () => {
    const pageDir = await buildPhonePage(join(work, 'phone'))
    const pw = join(work, 'pw.txt')
    writeFileSync(pw, readFileSync(resolve(FIX, 'password.txt')))
    const root = join(work, 'root')
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'transfer', 'receive', '--root', root, '--host', '127.0.0.1', '--password-file', pw], {
      cwd: ROOT,
      env: { ...process.env, CERTMGR_PHONE_DIR: pageDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const url = await waitFor(() => /URL: (\S+)/.exec(out)?.[1], 30_000)
    const number = await waitFor(() => /Number: (\d{4}-\d{4}-\d{4})/.exec(out)?.[1])
    expect((await fetch(url)).status).toBe(200)
    await new PhoneClient(url + '/', new URL(url).origin).send(number, 'npki', [
      { name: 'signCert.der', data: cert },
      { name: 'signPri.key', data: key },
    ])
    expect(await exited, err).toBe(0)
    const folder = /Stored in (.+) \(copied\)/.exec(out)?.[1] ?? ''
    expect(folder.startsWith(root)).toBe(true)
    expect(readdirSync(folder).sort()).toEqual(['signCert.der', 'signPri.key'])
    expect(() => openSignKey(readFileSync(join(folder, 'signCert.der')), readFileSync(join(folder, 'signPri.key')), readFileSync(pw, 'utf8').replace(/\r?\n$/, ''))).not.toThrow()
  })
})
