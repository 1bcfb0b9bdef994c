import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../cli/certmgr'
import { readPfx } from '../../core/formats/pfx'
import { exportPfx } from '../../core/pfx/operations'
import { outgoingFiles } from '../../core/transfer/files'
import { CertError } from '../../shared/errors'
import { addPinkCert, PINK_PASSWORD, tempDir } from '../helpers/fixtures'
import { memIO } from '../helpers/cli-io'

// Finding 3 of the desktop security review: PFX export took any password ('1' gave a working
// 3DES file). A PFX password of its own now passes the same NPKI rule as a certificate password,
// in the core function every entry point (app, CLI, phone copy) goes through.
const tmp = tempDir('sec-f3-')
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const folder = addPinkCert(join(tmp, 'NPKI'))

async function failure(p: Promise<unknown>): Promise<CertError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!(e instanceof CertError)) throw new Error(`expected a CertError, got ${String(e)}`)
  return e
}

describe('finding 3: PFX export password rule', () => {
  it("refuses '1' as a PFX password with PASSWORD_RULE and writes nothing", async () => {
    const out = join(tmp, 'weak.pfx')
    const e = await failure(exportPfx(folder, PINK_PASSWORD, out, { profile: 'compatible', pfxPassword: '1', iterations: 100 }))
    expect(e.code).toBe('PASSWORD_RULE')
    expect(e.params).toEqual({ rule: 'length' })
    expect(existsSync(out)).toBe(false)
  })

  it('names the broken rule for each kind of weak password', async () => {
    const cases: [string, string][] = [
      ['abcdefghij', 'digit'],
      ['Abcdef1234', 'special'],
      ['Pfx#aaa-2468', 'repeat'],
      ['Pfx#abc-2468', 'sequence'],
      ['Pfx#only 2468', 'forbidden-char'],
    ]
    for (const [pw, rule] of cases) {
      const e = await failure(exportPfx(folder, PINK_PASSWORD, join(tmp, 'r.pfx'), { profile: 'modern', pfxPassword: pw, iterations: 100 }))
      expect([pw, e.code, e.params?.rule]).toEqual([pw, 'PASSWORD_RULE', rule])
    }
  })

  it('accepts a password that passes the rule, and the file opens with it', async () => {
    const out = join(tmp, 'strong.pfx')
    await exportPfx(folder, PINK_PASSWORD, out, { profile: 'compatible', pfxPassword: 'Pfx#only-2468', iterations: 100 })
    const { readFileSync } = await import('node:fs')
    expect((await readPfx(new Uint8Array(readFileSync(out)), 'Pfx#only-2468')).certDer.length).toBeGreaterThan(0)
  })

  it('the phone copy builds its PFX under the same rule', async () => {
    const e = await failure(outgoingFiles(folder, 'pfx', { password: PINK_PASSWORD, pfxPassword: '1' }))
    expect(e.code).toBe('PASSWORD_RULE')
  })

  it('the CLI refuses with one English line and exit code 2', async () => {
    const pw = join(tmp, 'pw.txt')
    const weak = join(tmp, 'weak.txt')
    writeFileSync(pw, PINK_PASSWORD + '\n')
    writeFileSync(weak, '1\n')
    const out = join(tmp, 'cli.pfx')
    const io = memIO()
    const code = await main(['export-pfx', folder, '--out', out, '--password-file', pw, '--pfx-password-file', weak, '--profile', 'compatible'], io)
    expect(code).toBe(2)
    expect(io.errText).toHaveLength(1)
    expect(io.errText[0]).toMatch(/^certmgr export-pfx: the PFX password is too weak: the password must be 10 to 64 characters long$/)
    expect(existsSync(out)).toBe(false)
  })
})
