/**
 * Issue 12: a renewal on a security token killed with kill -9 left two key pairs (and maybe two
 * certificates) on the token, with nothing to say which one the center keeps. The renewal is in
 * the same journal as a folder's; at the next start it is reported as pending (the PIN is
 * needed), and opening the token with its PIN (the app's 보안토큰 tab, `certmgr token list`)
 * asks the center and removes the other pair. Killed at each step of the exchange; the token
 * is checked with pkcs11-tool, the other tool.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { main } from '../../cli/certmgr'
import { createStorageHandlers } from '../../app/storage/handlers'
import { parseCertificate } from '../../core/certs/parse'
import { RootPolicy } from '../../core/roots/root-policy'
import { Trash } from '../../core/storage/trash'

import { issueToToken } from '../../core/usecases/issue-to-token'
import { recoverRenewals, RenewalJournal } from '../../core/usecases/renewal-journal'
import { textIO } from '../helpers/cli-io'
import { cmpProxy } from '../helpers/cmp-proxy'
import { tempDir } from '../helpers/fixtures'
import { pkcs11ToolObjects, SOFTHSM_MODULE, softHsm, type SoftHsm, softHsmToken } from '../helpers/softhsm'

const REPO = resolve(import.meta.dirname, '../..')
const PIN = '135790'
let center: RunningCenter
let hsm: SoftHsm
let work = ''

/** The step the child is killed at: a CMP message held before the center gets it, or after (its answer never returns). */
type Step = { body: 'kur' | 'certConf'; at: 'before-center' | 'after-center' }
/** Or the child kills itself at its journal write: just before it is written, or just after. */
type KillAt = 'before-journal-write' | 'after-journal-write'

const proxy = (step: Step, onHit: () => void) => cmpProxy(center.url, { ...step, onHit })

const objects = (label: string) => pkcs11ToolObjects(label, PIN)

const privateKeyIds = (label: string) => objects(label).filter((o) => o.cls === 'Private Key').map((o) => o.id).sort()
const statusOf = async (serial: string) => (await center.ca.certBySerial(serial))?.status

let seq = 0
/** A fresh token with one issued certificate on it. */
async function issuedToken(): Promise<{ label: string; oldId: string; oldSerial: string; dataDir: string }> {
  seq++
  const label = `kill-${seq}`
  hsm.initToken(label, PIN)
  const { customerId } = await center.ra.createCustomer({ name: '홍길동', idn: `80020${seq}1234567`.slice(0, 13), phone: '010-1234-5678', balanceKrw: 100_000 })
  const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
  const dataDir = tempDir('certmgr-token-kill-data-')
  const r = await issueToToken({ purpose: 'issue', token: { module: SOFTHSM_MODULE, label }, pin: PIN, codes: async () => codes }, { center: { url: center.url }, trash: new Trash(dataDir) })
  return { label, oldId: r.idHex, oldSerial: r.facts.serialHex, dataDir }
}

/**
 * Runs a token renewal in a child process and kills it with SIGKILL when the proxy reaches
 * `step`. The proxy is the center the journal recorded, so it stays up (passing everything but
 * the held message) until the caller closes it.
 */
async function killedRenewal(label: string, dataDir: string, step: Step | KillAt): Promise<{ close: () => Promise<void> }> {
  let kill: () => void = () => undefined
  // A kill at the journal write is done by the child itself; the proxy then never holds anything.
  const killAt = typeof step === 'string' ? step : undefined
  const p = await proxy(typeof step === 'string' ? { body: 'certConf', at: 'before-center' } : step, () => kill())
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'tests/reliability/token-renewal-kill-child.ts'), JSON.stringify({ module: SOFTHSM_MODULE, label, pin: PIN, centerUrl: p.url, dataDir, killAt })], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SOFTHSM2_CONF: hsm.conf },
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)))
    kill = () => child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(out).toBe('')
  } catch (err) {
    await p.close()
    throw err
  }
  return p
}

const cliIO = textIO

/** Opens the token with its PIN the way the CLI does: `certmgr token list`. */
async function openWithCli(label: string, dataDir: string): Promise<{ code: number; err: string }> {
  const pinFile = join(work, `pin-${label}`)
  writeFileSync(pinFile, PIN + '\n')
  const io = cliIO()
  const code = await main(['token', 'list', '--module', SOFTHSM_MODULE, '--token', label, '--pin-file', pinFile, '--data', dataDir], io)
  return { code, err: io.errText }
}

/** Opens the token with its PIN the way the app's 보안토큰 tab does: the 'token.list' call. */
async function openWithApp(label: string, dataDir: string): Promise<void> {
  const slot = (await softHsmToken(label)).slot
  const handlers = createStorageHandlers({ dataDir, roots: new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: join(dataDir, 'NPKI') } }), tokenModules: async () => [SOFTHSM_MODULE], journal: new RenewalJournal(dataDir) })
  const pending = async () => (await handlers['storage.locations']({}, { emit: () => undefined })).locations.find((l) => l.token?.label === label)?.token?.renewalPending === true
  // The 보안토큰 tab says that this token has a renewal to finish, until it is opened with its PIN.
  expect(await pending()).toBe(true)
  await handlers['token.list']({ slot, pin: PIN }, { emit: () => undefined })
  expect(await pending()).toBe(false)
}

beforeAll(async () => {
  work = tempDir('certmgr-token-kill-')
  hsm = softHsm()
  center = await startCenter({ host: '127.0.0.1', port: 0, dataDir: join(work, 'center'), validityDays: 20, renewalRequiresRa: false, renewalWindowDays: 365 })
})

afterAll(async () => {
  await center?.close()
  hsm?.close()
})

const cases: { name: string; step: Step; keeps: 'old' | 'new'; newCertStored: boolean; opener: 'cli' | 'app' }[] = [
  { name: 'killed after the new key pair was made, before the kur reached the center', step: { body: 'kur', at: 'before-center' }, keeps: 'old', newCertStored: false, opener: 'cli' },
  { name: 'killed after the center issued the new certificate, before its answer came back', step: { body: 'kur', at: 'after-center' }, keeps: 'old', newCertStored: false, opener: 'app' },
  { name: 'killed after the new certificate was stored on the token, before the certConf reached the center', step: { body: 'certConf', at: 'before-center' }, keeps: 'old', newCertStored: true, opener: 'cli' },
  { name: 'killed after the center got the certConf, before its pkiConf came back', step: { body: 'certConf', at: 'after-center' }, keeps: 'new', newCertStored: true, opener: 'app' },
]

describe('token renewal killed with kill -9 leaves one key pair once the token is opened again (issue 12)', () => {
  for (const c of cases) {
    it(`token renewal ${c.name}: the next start reports it pending, opening the token keeps the ${c.keeps} key pair only`, async () => {
      const { label, oldId, oldSerial, dataDir } = await issuedToken()
      const recordedCenter = await killedRenewal(label, dataDir, c.step)
      try {
        // The kill left two key pairs on the token: the journal names both.
        const journal = new RenewalJournal(dataDir)
        const open = await journal.tokenEntries()
        expect(open.map((e) => ({ label: e.token.label, oldIdHex: e.oldIdHex }))).toEqual([{ label, oldIdHex: oldId }])
        const newId = open[0]!.newIdHex
        expect(privateKeyIds(label)).toEqual([oldId, newId].sort())
        const certIds = () => objects(label).filter((o) => o.cls === 'Certificate').map((o) => o.id)
        expect(certIds().includes(newId)).toBe(c.newCertStored)

        // The next start: without the PIN it can only say that a renewal is pending on this token.
        expect(await recoverRenewals(journal, new Trash(dataDir))).toEqual([{ token: { label, serial: expect.any(String) }, outcome: 'needs-pin' }])
        expect(await journal.tokenEntries()).toHaveLength(1)
        const startIO = cliIO()
        const pinFile = join(work, `pin-${label}`)
        writeFileSync(pinFile, PIN + '\n')
        // `certmgr renew` on a folder runs the same start-up recovery and prints what is pending.
        expect(await main(['renew', join(work, 'no-such-folder'), '--center', center.url, '--password-file', pinFile, '--data', dataDir], startIO)).not.toBe(0)
        expect(startIO.errText).toContain(`an earlier renewal on token ${label}`)
        expect(startIO.errText).toContain('is pending')

        // Opened with its PIN (CLI or app): the center is asked, the other pair goes.
        if (c.opener === 'cli') {
          const r = await openWithCli(label, dataDir)
          expect(r.code).toBe(0)
          expect(r.err).toContain(`the center keeps the ${c.keeps} certificate`)
        } else {
          await openWithApp(label, dataDir)
        }
        const kept = c.keeps === 'old' ? oldId : newId
        expect(privateKeyIds(label)).toEqual([kept])
        expect(objects(label).map((o) => o.id).filter((id) => id !== kept)).toEqual([])
        expect(objects(label).filter((o) => o.id === kept).map((o) => o.cls).sort()).toEqual(['Certificate', 'Data', 'Private Key', 'Public Key'])
        expect(await journal.tokenEntries()).toEqual([])
        // The pair left is the one the center keeps active.
        const keptSerial = spawnSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, '--login', '--pin', PIN, '--read-object', '--type', 'cert', '--id', kept, '-o', join(work, `${label}.der`)])
        expect(keptSerial.status).toBe(0)
        const serial = parseCertificate(readFileSync(join(work, `${label}.der`))).serialHex
        expect(await statusOf(serial)).toBe('active')
        if (c.keeps === 'old') expect(serial).toBe(oldSerial)
        else expect(await statusOf(oldSerial)).toBe('revoked')
      } finally {
        await recordedCenter.close()
      }
    })
  }
})

describe('token renewal killed around its journal write leaves no key pair the journal does not name', () => {
  const around: { name: string; killAt: KillAt }[] = [
    // Before the fix the pair was generated first: a kill here left it on the token, unrecorded, forever.
    { name: 'killed between creating the new key pair and writing the journal entry', killAt: 'before-journal-write' },
    { name: 'killed just after the journal entry was written, before the new key pair is used', killAt: 'after-journal-write' },
  ]
  for (const c of around) {
    it(`token renewal ${c.name}: every key pair beside the old one is in the journal, and opening the token keeps the old one only`, async () => {
      const { label, oldId, oldSerial, dataDir } = await issuedToken()
      const recordedCenter = await killedRenewal(label, dataDir, c.killAt)
      try {
        const journal = new RenewalJournal(dataDir)
        const named = (await journal.tokenEntries()).map((e) => e.newIdHex)
        const unrecorded = privateKeyIds(label).filter((id) => id !== oldId && !named.includes(id))
        expect(unrecorded).toEqual([])
        if (c.killAt === 'before-journal-write') {
          // Nothing was journaled, so nothing may have been generated either.
          expect(named).toEqual([])
          expect(privateKeyIds(label)).toEqual([oldId])
        } else {
          expect(named).toHaveLength(1)
          const r = await openWithCli(label, dataDir)
          expect(r.code).toBe(0)
          expect(r.err).toContain('the center keeps the old certificate')
        }
        expect(privateKeyIds(label)).toEqual([oldId])
        expect(objects(label).map((o) => o.id).filter((id) => id !== oldId)).toEqual([])
        expect(await journal.tokenEntries()).toEqual([])
        expect(await statusOf(oldSerial)).toBe('active')
      } finally {
        await recordedCenter.close()
      }
    })
  }
})
