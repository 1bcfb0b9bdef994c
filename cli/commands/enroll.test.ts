import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { openSignKey } from '../../core/formats/signpri'
import { Trash } from '../../core/storage/trash'
import { parseCertificate } from '../../core/certs/parse'
import { tempDir } from '../../tests/helpers/fixtures'
import { main } from '../certmgr'
import { createEnrollCommands } from './enroll'
import { expectedCardResponse } from '../../center/ra/card'
import { spawnSync } from 'node:child_process'
import { SOFTHSM_MODULE, softHsm } from '../../tests/helpers/softhsm'
import { textIO } from '../../tests/helpers/cli-io'

// The CLI's enrollment commands against a real center (SQLite, RA, CA, CMP): the same
// guarantees as the wizard, because both call the use-cases in core/usecases.
const PASSWORD = 'Qwer!9a8s7d'
let center: RunningCenter
let work = ''
let customerId = ''
const commands = createEnrollCommands()

const cli = textIO

function secret(name: string, value: string): string {
  const p = join(work, name)
  writeFileSync(p, value + '\n')
  return p
}

/** What the center's database says about this customer's certificates. */
async function certsAtCenter(): Promise<{ serial: string; status: string }[]> {
  const rs = await center.db.execute({ sql: 'SELECT serial_hex, status FROM ca_certs WHERE customer_id = ? ORDER BY created_at', args: [customerId] })
  return rs.rows.map((r) => ({ serial: String(r.serial_hex), status: String(r.status) }))
}

async function balance(): Promise<number> {
  return (await center.ra.accounts(customerId))[0]!.balanceKrw
}

/** A root no process can create: its parent is a regular file. */
function unwritableRoot(): string {
  const file = join(work, `not-a-folder-${Math.random().toString(36).slice(2)}`)
  writeFileSync(file, '')
  return join(file, 'NPKI')
}

beforeAll(async () => {
  work = tempDir('certmgr-cli-enroll-')
  // 20-day certificates sit inside the 30-day renewal window at once; renewal needs only the signature here.
  center = await startCenter({ host: '127.0.0.1', port: 0, dataDir: join(work, 'center'), validityDays: 20, renewalRequiresRa: false })
  customerId = (await center.ra.createCustomer({ name: '홍길동', idn: '9001011234568', phone: '010-1234-5678', balanceKrw: 100_000 })).customerId
})

afterAll(async () => {
  await center.close()
})

describe('certmgr issue / reissue / renew: stored before certConf', () => {
  const root = () => join(work, 'NPKI')
  const data = () => join(work, 'data')
  let folder = ''
  let serial = ''

  it('issue into an unwritable root exits non-zero, leaves nothing active at the center, and the same codes then issue into a writable root', async () => {
    const codes = await center.ra.createEnrollmentCodes(customerId, 'general', 'issue')
    const before = await balance()
    const args = ['issue', '--center', center.url, '--reference', codes.reference, '--auth-code-file', secret('code', codes.authCode), '--password-file', secret('pw', PASSWORD), '--data', data()]
    const bad = unwritableRoot()
    const io = cli()
    expect(await main([...args, '--root', bad], io, commands)).not.toBe(0)
    expect(io.errText).toMatch(/^certmgr issue: /)
    expect(io.errText.split('\n').filter(Boolean)).toHaveLength(1)
    // The center rejected the certificate whose key could not be kept, and charged nothing for it.
    expect((await certsAtCenter()).filter((c) => c.status === 'active')).toEqual([])
    expect(await balance()).toBe(before)

    const ok = cli()
    expect(await main([...args, '--root', root()], ok, commands)).toBe(0)
    const certs = await certsAtCenter()
    expect(certs.filter((c) => c.status === 'active')).toHaveLength(1)
    folder = ok.outText.match(/saved in (.+)/)![1]!
    const certDer = readFileSync(join(folder, 'signCert.der'))
    serial = parseCertificate(certDer).serialHex
    expect(certs.find((c) => c.status === 'active')!.serial).toBe(serial)
    expect(() => openSignKey(certDer, readFileSync(join(folder, 'signPri.key')), PASSWORD)).not.toThrow()
  })

  it('renew stores the new pair before certConf: a failed store leaves the old certificate in place and the only active one', async () => {
    const before = readFileSync(join(folder, 'signCert.der'))
    const pw = secret('pw2', PASSWORD)
    // The trash cannot be written, so the old folder cannot make room for the new pair.
    const io = cli()
    expect(await main(['renew', folder, '--center', center.url, '--password-file', pw, '--data', unwritableRoot()], io, commands)).not.toBe(0)
    expect(readFileSync(join(folder, 'signCert.der')).equals(before)).toBe(true)
    expect(readdirSync(join(folder, '..')).filter((n) => n.startsWith('.'))).toEqual([])
    let certs = await certsAtCenter()
    expect(certs.filter((c) => c.status === 'active').map((c) => c.serial)).toEqual([serial])
    // The new certificate was issued, and rejected because it could not be stored.
    expect(certs.filter((c) => c.status === 'revoked')).toHaveLength(2)

    const ok = cli()
    expect(await main(['renew', folder, '--center', center.url, '--password-file', pw, '--data', data()], ok, commands)).toBe(0)
    const renewed = readFileSync(join(folder, 'signCert.der'))
    const newSerial = parseCertificate(renewed).serialHex
    expect(newSerial).not.toBe(serial)
    certs = await certsAtCenter()
    expect(certs.filter((c) => c.status === 'active').map((c) => c.serial)).toEqual([newSerial])
    expect(certs.find((c) => c.serial === serial)!.status).toBe('revoked')
    expect((await new Trash(data()).list()).map((e) => e.serialHex)).toContain(serial)
    serial = newSerial
  })

  it('reissue moves the replaced folder to the trash instead of overwriting it', async () => {
    const codes = await center.ra.createEnrollmentCodes(customerId, 'general', 'reissue')
    const NEW_PW = 'Zxcv@5b6n7m'
    const io = cli()
    const rc = await main(
      ['reissue', '--center', center.url, '--reference', codes.reference, '--auth-code-file', secret('code3', codes.authCode), '--root', root(), '--password-file', secret('pw3', NEW_PW), '--data', data()],
      io,
      commands,
    )
    expect(io.errText).toBe('')
    expect(rc).toBe(0)
    const newFolder = io.outText.match(/saved in (.+)/)![1]!
    const certDer = readFileSync(join(newFolder, 'signCert.der'))
    const newSerial = parseCertificate(certDer).serialHex
    expect(() => openSignKey(certDer, readFileSync(join(newFolder, 'signPri.key')), NEW_PW)).not.toThrow()
    // The certificate the center revoked left its folder for the trash, restorable from there.
    expect(io.outText).toContain(`moved the revoked certificate ${serial} to the trash`)
    expect(existsSync(folder)).toBe(false)
    const trashed = (await new Trash(data()).list()).find((e) => e.serialHex === serial)
    expect(trashed?.originalPath).toBe(folder)
    const certs = await certsAtCenter()
    expect(certs.filter((c) => c.status === 'active').map((c) => c.serial)).toEqual([newSerial])
    expect(certs.find((c) => c.serial === serial)!.status).toBe('revoked')
  })
})

describe('certmgr renew against a center that asks for the RA\'s 갱신 checks (--renewal-check ra)', () => {
  it('a kur without the checks is refused; certmgr renew then runs them on the terminal (nobody to answer: exit 2) and renews', async () => {
    const data = join(work, 'data-ra')
    const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
    const ok = cli()
    expect(
      await main(['issue', '--center', center.url, '--reference', codes.reference, '--auth-code-file', secret('code-ra', codes.authCode), '--root', join(work, 'NPKI-ra'), '--password-file', secret('pw-ra', PASSWORD), '--data', data], ok, commands),
    ).toBe(0)
    const folder = ok.outText.match(/saved in (.+)/)![1]!
    const serial = parseCertificate(readFileSync(join(folder, 'signCert.der'))).serialHex
    center.config.renewalRequiresRa = true
    try {
      const card = await center.ra.securityCard(customerId)
      const asked: string[] = []
      const io: ReturnType<typeof cli> = cli()
      io.ask = async (q: string) => {
          asked.push(q)
          if (q.startsWith('인증번호')) return (await center.ra.outbox(1))[0]!.text.match(/\d{6}/)![0]
          const slots = q.match(/no\. (\d+)/g)!.map((m) => Number(m.slice(4))) as [number, number]
          return expectedCardResponse(card, slots)
      }
      const args = ['renew', folder, '--center', center.url, '--password-file', secret('pw-ra2', PASSWORD), '--data', data, '--name', '홍길동', '--idn-file', secret('idn', '900101-1234568'), '--account-file', secret('acct', (await center.ra.accounts(customerId))[0]!.number)]
      // No terminal to answer on: the checks cannot run, and the refused kur is where it ends.
      const silent = cli()
      expect(await main(args, silent, commands)).toBe(2)
      expect(silent.errText).toMatch(/standard input/)
      expect(await main(args, io, commands)).toBe(0)
      expect(io.errText).toBe('')
      expect(asked).toHaveLength(2)
      expect(asked[0]).toMatch(/^인증번호 \(SMS code sent to /)
      expect(asked[1]).toMatch(/^보안카드 \(security card\)/)
      expect(io.outText).toContain('renewed:')
      const renewed = parseCertificate(readFileSync(join(folder, 'signCert.der')))
      expect(renewed.serialHex).not.toBe(serial)
      expect((await center.ca.certBySerial(renewed.serialHex))?.status).toBe('active')
      expect((await center.ca.certBySerial(serial))?.status).toBe('revoked')
    } finally {
      center.config.renewalRequiresRa = false
    }
  })

  it('the same checks for certmgr renew --token LABEL: asked on the terminal, then the token holds only the new key pair (SoftHSM2, checked with pkcs11-tool)', async () => {
    const LABEL = 'ra-renew'
    const PIN = '864209'
    const hsm = softHsm([{ label: LABEL, pin: PIN }])
    try {
      const data = join(work, 'data-ra-token')
      // A customer of its own: the folder tests above already hold this file's customer's certificates.
      const owner = (await center.ra.createCustomer({ name: '홍길동', idn: '9001051234568', phone: '010-1234-5678', balanceKrw: 100_000 })).customerId
      const codes = await center.ra.createEnrollmentCodes(owner, 'limited', 'issue')
      const token = ['--token', LABEL, '--module', SOFTHSM_MODULE, '--pin-file', secret('pin-ra', PIN), '--data', data]
      const ok = cli()
      const issuedCode = await main(['issue', '--center', center.url, '--reference', codes.reference, '--auth-code-file', secret('code-ra-token', codes.authCode), ...token], ok, commands)
      expect(ok.errText).toBe('')
      expect(issuedCode).toBe(0)
      const oldId = ok.outText.match(/stored on the token with id ([0-9a-f]+)/)![1]!
      const p11 = (...a: string[]) => spawnSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', LABEL, '--login', '--pin', PIN, ...a], { encoding: 'utf8' })
      const keyIds = () => [...p11('--list-objects', '--type', 'privkey').stdout.matchAll(/ID:\s+([0-9a-f]+)/g)].map((m) => m[1]!)
      const certIds = () => [...p11('--list-objects', '--type', 'cert').stdout.matchAll(/ID:\s+([0-9a-f]+)/g)].map((m) => m[1]!)
      expect(keyIds()).toEqual([oldId])
      p11('--read-object', '--type', 'cert', '--id', oldId, '-o', join(work, 'ra-old.der'))
      const serial = parseCertificate(readFileSync(join(work, 'ra-old.der'))).serialHex
      center.config.renewalRequiresRa = true
      try {
        const card = await center.ra.securityCard(owner)
        const asked: string[] = []
        const io: ReturnType<typeof cli> = cli()
        io.ask = async (q: string) => {
          asked.push(q)
          if (q.startsWith('인증번호')) return (await center.ra.outbox(1))[0]!.text.match(/\d{6}/)![0]
          const slots = q.match(/no\. (\d+)/g)!.map((m) => Number(m.slice(4))) as [number, number]
          return expectedCardResponse(card, slots)
        }
        const args = ['renew', ...token, '--center', center.url, '--name', '홍길동', '--idn-file', secret('idn-t', '900105-1234568'), '--account-file', secret('acct-t', (await center.ra.accounts(owner))[0]!.number)]
        // No terminal to answer on: the checks cannot run, the refused kur ends it, and the token is as it was.
        const silent = cli()
        expect(await main(args, silent, commands)).toBe(2)
        expect(silent.errText).toMatch(/standard input/)
        expect(keyIds()).toEqual([oldId])
        expect(await main(args, io, commands)).toBe(0)
        expect(io.errText).toBe('')
        expect(asked).toHaveLength(2)
        expect(asked[0]).toMatch(/^인증번호 \(SMS code sent to /)
        expect(asked[1]).toMatch(/^보안카드 \(security card\)/)
        const newId = io.outText.match(/stored on the token with id ([0-9a-f]+)/)![1]!
        expect(newId).not.toBe(oldId)
        // The other tool sees one key pair and one certificate, the new ones.
        expect(keyIds()).toEqual([newId])
        expect(certIds()).toEqual([newId])
        expect(p11('--read-object', '--type', 'cert', '--id', newId, '-o', join(work, 'ra-new.der')).status).toBe(0)
        const renewed = parseCertificate(readFileSync(join(work, 'ra-new.der')))
        expect(renewed.serialHex).not.toBe(serial)
        expect((await center.ca.certBySerial(renewed.serialHex))?.status).toBe('active')
        expect((await center.ca.certBySerial(serial))?.status).toBe('revoked')
      } finally {
        center.config.renewalRequiresRa = false
      }
    } finally {
      hsm.close()
    }
  })
})
