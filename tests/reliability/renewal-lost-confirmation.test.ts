/**
 * Issue 13, finding 6: a renewal whose certConf answer is lost, or whose process dies between
 * the local save and that answer. The certificate the center keeps active must be the one left
 * in place: asked of the center on the spot, and at the next start from a recovery journal.
 * A loopback proxy in front of the real center drops the pkiConf or holds the certConf.
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { main } from '../../cli/certmgr'
import type { CliIO } from '../../cli/command'
import { parseCertificate } from '../../core/certs/parse'
import { openSignKey } from '../../core/formats/signpri'
import { Trash } from '../../core/storage/trash'
import { issueToFolder } from '../../core/usecases/issue-to-folder'
import { recoverRenewals, RenewalJournal } from '../../core/usecases/renewal-journal'
import { cmpProxy } from '../helpers/cmp-proxy'
import { tempDir } from '../helpers/fixtures'
import { childRunner, killScratchDir } from '../helpers/kill-runner'
import { SOFTHSM_MODULE, softHsm } from '../helpers/softhsm'
import { issueToToken } from '../../core/usecases/issue-to-token'
import { renewOnToken } from '../../core/usecases/renew-token'
import { listTokenCerts } from '../../core/token/pkcs11'

const REPO = resolve(import.meta.dirname, '../..')
const PASSWORD = 'Qwer!9a8s7d'
let center: RunningCenter
let work = ''
let runner: { cmd: string; args: string[] }

type Mode = 'drop-pkiconf' | 'hold-after-center' | 'hold-before-center'

/**
 * Forwards everything to the center, except a certConf: 'drop-pkiconf' forwards it and cuts the
 * connection instead of passing the pkiConf back; 'hold-after-center' forwards it and never
 * answers; 'hold-before-center' never forwards it. `onCertConf` runs once the certConf is where
 * the mode puts it.
 */
function proxy(mode: Mode, onCertConf: () => void = () => undefined): Promise<{ url: string; close: () => Promise<void> }> {
  return cmpProxy(center.url, { body: 'certConf', at: mode === 'hold-before-center' ? 'before-center' : 'after-center', cut: mode === 'drop-pkiconf', onHit: onCertConf })
}

let customerSeq = 0
/** A fresh customer with one certificate in a folder of its own. */
async function issued(): Promise<{ folder: string; serial: string; dataDir: string }> {
  customerSeq++
  const { customerId } = await center.ra.createCustomer({ name: '홍길동', idn: `90010${customerSeq}1234568`.slice(0, 13), phone: '010-1234-5678', balanceKrw: 100_000 })
  const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
  const dataDir = tempDir('certmgr-renew-data-')
  const r = await issueToFolder(
    { purpose: 'issue', root: join(tempDir('certmgr-renew-root-'), 'NPKI'), password: PASSWORD, codes: async () => codes },
    { center: { url: center.url }, trash: new Trash(dataDir) },
  )
  return { folder: r.folder, serial: r.facts.serialHex, dataDir }
}

const serialIn = (folder: string) => parseCertificate(readFileSync(join(folder, 'signCert.der'))).serialHex
const statusOf = async (serial: string) => (await center.ca.certBySerial(serial))?.status

beforeAll(async () => {
  work = killScratchDir('certmgr-renew-kill-')
  runner = await childRunner(join(REPO, 'tests/reliability/renewal-kill-child.ts'), work)
  center = await startCenter({ host: '127.0.0.1', port: 0, dataDir: join(work, 'center'), validityDays: 20, renewalRequiresRa: false, renewalWindowDays: 365 })
})

afterAll(async () => {
  await center?.close()
})

describe('renewal after a lost pkiConf or a crash (issue 13, finding 6)', () => {
  it('renewal after a lost pkiConf keeps the certificate the center activated in place, not the old one', async () => {
    const { folder, serial, dataDir } = await issued()
    const p = await proxy('drop-pkiconf')
    try {
      const pw = join(work, 'pw')
      writeFileSync(pw, PASSWORD + '\n')
      let err = ''
      const io: CliIO = { out: () => undefined, err: (t) => void (err += t), readSecret: async (f) => readFileSync(f, 'utf8').replace(/\r?\n$/, '') }
      const rc = await main(['renew', folder, '--center', p.url, '--password-file', pw, '--data', dataDir], io)
      expect(err).toBe('')
      expect(rc).toBe(0)
    } finally {
      await p.close()
    }
    const now = serialIn(folder)
    expect(now).not.toBe(serial)
    // The center activated the new certificate (the pkiConf was only lost on the way back) ...
    expect(await statusOf(now)).toBe('active')
    expect(await statusOf(serial)).toBe('revoked')
    // ... and it is the one in place, with a key that opens; the old one is in the trash.
    expect(() => openSignKey(readFileSync(join(folder, 'signCert.der')), readFileSync(join(folder, 'signPri.key')), PASSWORD)).not.toThrow()
    expect((await new Trash(dataDir).list()).map((e) => e.serialHex)).toContain(serial)
    expect(await new RenewalJournal(dataDir).list()).toEqual([])
  })

  for (const mode of ['hold-after-center', 'hold-before-center'] as const) {
    const reached = mode === 'hold-after-center'
    it(`renewal killed with kill -9 between the save and the confirmation (${reached ? 'the center got the certConf' : 'the certConf never arrived'}): the next start keeps the ${reached ? 'new' : 'old'} certificate`, async () => {
      const { folder, serial, dataDir } = await issued()
      let kill: () => void = () => undefined
      const p = await proxy(mode, () => kill())
      try {
        const child = spawn(runner.cmd, [...runner.args, JSON.stringify({ folder, password: PASSWORD, centerUrl: p.url, dataDir })], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        child.stdout.on('data', (c: Buffer) => (out += c.toString()))
        const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)))
        kill = () => child.kill('SIGKILL')
        expect(await exited).toBe('SIGKILL')
        expect(out).toBe('')
        // Killed after the save: the journal says a renewal is open.
        const journal = new RenewalJournal(dataDir)
        const open = await journal.list()
        expect(open.map((e) => e.folder)).toEqual([folder])
        const newSerial = open[0]!.newSerialHex
        expect(await statusOf(newSerial)).toBe(reached ? 'active' : 'pending')

        // The next start asks the center and keeps what it keeps active.
        expect(await recoverRenewals(journal, new Trash(dataDir))).toEqual([{ folder, outcome: reached ? 'new' : 'old' }])
        expect(serialIn(folder)).toBe(reached ? newSerial : serial)
        expect(await statusOf(serialIn(folder))).toBe('active')
        expect(() => openSignKey(readFileSync(join(folder, 'signCert.der')), readFileSync(join(folder, 'signPri.key')), PASSWORD)).not.toThrow()
        expect(await journal.list()).toEqual([])
      } finally {
        await p.close()
      }
    })
  }

  it('token renewal after a lost pkiConf keeps the new key pair the center activated and removes the old one', async () => {
    const hsm = softHsm([{ label: 'lost-conf', pin: '111111' }])
    try {
      const ref = { module: SOFTHSM_MODULE, label: 'lost-conf' }
      customerSeq++
      const { customerId } = await center.ra.createCustomer({ name: '홍길동', idn: `90010${customerSeq}1234568`.slice(0, 13), phone: '010-1234-5678', balanceKrw: 100_000 })
      const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
      const first = await issueToToken({ purpose: 'issue', token: ref, pin: '111111', codes: async () => codes }, { center: { url: center.url }, trash: new Trash(tempDir()) })
      const p = await proxy('drop-pkiconf')
      let renewed: Awaited<ReturnType<typeof renewOnToken>>
      try {
        renewed = await renewOnToken({ token: ref, pin: '111111' }, { center: { url: p.url } })
      } finally {
        await p.close()
      }
      expect(await statusOf(renewed.facts.serialHex)).toBe('active')
      expect(await statusOf(first.facts.serialHex)).toBe('revoked')
      const certs = await listTokenCerts(ref, '111111')
      expect(certs.map((c) => ({ id: c.idHex, serial: c.serialHex, key: c.hasPrivateKey }))).toEqual([{ id: renewed.idHex, serial: renewed.facts.serialHex, key: true }])
    } finally {
      hsm.close()
    }
  })
})
