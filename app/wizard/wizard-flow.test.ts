import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEvent } from '../../shared/contract/progress'
import { tempDir } from '../../tests/helpers/fixtures'
import { createAppServices, type AppServices } from '../app-services'
import type { CallResult } from '../dispatch'
import { openSignKey } from '../../core/formats/signpri'
import { verifyVid } from '../../core/formats/vid'
import { expectedCardResponse } from '../../center/ra/card'

// The wizards' main-side flow against a real embedded center (SQLite, RA, CA, CMP), through
// the same dispatcher the UI uses. Validity 20 days puts a new certificate inside the
// 30-day renewal window at once, so renewal can be exercised without waiting a year.
let services: AppServices
const events: AppEvent[] = []
const ctx = { emit: (e: AppEvent) => events.push(e) }
const roots = tempDir('certmgr-wiz-')
const root = join(roots, 'NPKI')
let oldRoots: string | undefined
const IDN = '9001011234568'
const PASSWORD = 'Qwer!9a8s7d'

async function call<T = unknown>(name: string, req: unknown): Promise<T> {
  const r: CallResult = await services.dispatch(name, req, ctx)
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error)
  return r.value as T
}

beforeAll(async () => {
  oldRoots = process.env.CERTMGR_NPKI_ROOTS
  process.env.CERTMGR_NPKI_ROOTS = root
  services = await createAppServices({ dataDir: tempDir('certmgr-wiz-data-'), host: 'web', version: 'test', reminders: false, centerOptions: { validityDays: 20 } })
})
afterAll(async () => {
  await services.close()
  if (oldRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = oldRoots
})

/** 본인 정보 → 휴대폰 인증 (code read from the 문자함) → 보안카드, as the wizard does it. */
async function verifiedSession(customer: { card?: { serial: string; slots: string[] }; account: string }, purpose: string, certId?: string): Promise<string> {
  const { sessionId, medium } = await call<{ sessionId: string; medium: string }>('center.startSession', { name: '홍길동', idn: IDN, account: customer.account, purpose, ...(certId ? { certId } : {}) })
  expect(medium).toBe('card')
  await call('center.sendPhoneCode', { sessionId, channel: 'sms' })
  const { messages } = await call<{ messages: { text: string }[] }>('center.outbox', {})
  const code = messages[0]!.text.match(/\d{6}/)![0]
  await call('center.verifyPhone', { sessionId, code })
  const ch = await call<{ medium: 'card'; slots: [number, number] }>('center.mediumChallenge', { sessionId })
  await call('center.verifyMedium', { sessionId, response: expectedCardResponse(customer.card!, ch.slots) })
  return sessionId
}

describe('issue, renew and reissue through the app services', () => {
  let customer: { customerId: string; account: string; card?: { serial: string; slots: string[] } }
  let issued: { certId: string; path: string; serialHex: string; notAfter: string }

  it('registers a first-time customer with a printable security card', async () => {
    const info = await call<{ reachable: boolean; embedded: boolean; feesKrw: { general: number } }>('center.info', {})
    expect(info).toMatchObject({ reachable: true, embedded: true, feesKrw: { general: 4400 } })
    customer = await call('center.register', { name: '홍길동', idn: IDN, phone: '010-1234-5678', medium: 'card' })
    expect(customer.card?.slots).toHaveLength(30)
  })

  it('refuses a new password that breaks the rule before anything is generated', async () => {
    const sessionId = await verifiedSession(customer, 'issue')
    await expect(call('enroll.issue', { opId: 'weak', sessionId, certType: 'limited', destination: { kind: 'pc' }, password: 'short1!' })).rejects.toMatchObject({ code: 'PASSWORD_RULE', params: { rule: 'length' } })
  })

  it('issues a certificate to the PC that opens with its password and carries a matching VID', async () => {
    const sessionId = await verifiedSession(customer, 'issue')
    events.length = 0
    issued = await call('enroll.issue', { opId: 'op1', sessionId, certType: 'limited', destination: { kind: 'pc' }, password: PASSWORD })
    expect(issued.path.startsWith(root)).toBe(true)
    const stages = events.filter((e) => e.type === 'progress').map((e) => (e as { progress: { stage: string } }).progress.stage)
    expect(stages).toEqual(expect.arrayContaining(['keygen', 'request', 'save', 'done']))
    const certDer = readFileSync(join(issued.path, 'signCert.der'))
    const opened = openSignKey(certDer, readFileSync(join(issued.path, 'signPri.key')), PASSWORD)
    expect(opened.randomNum).toHaveLength(20)
    expect(verifyVid(certDer, opened.randomNum!, IDN)).toBe('match')
    expect(verifyVid(certDer, opened.randomNum!, '9001011234567')).toBe('mismatch')
    // OpenSSL reads the certificate and its chain verifies against the center's CA.
    const pem = join(tempDir(), 'c.der')
    writeFileSync(pem, certDer)
    expect(execFileSync('openssl', ['x509', '-inform', 'DER', '-in', pem, '-noout', '-subject'], { encoding: 'utf8' })).toContain('personal4IB')
    const list = await call<{ certs: { id: string; state: string; kind: string }[] }>('certs.list', {})
    expect(list.certs.find((c) => c.id === issued.certId)).toMatchObject({ state: 'renewable', kind: 'limited' })
  })

  it('refuses a second issue of the same type while one is valid', async () => {
    const sessionId = await verifiedSession(customer, 'issue')
    await expect(call('enroll.issue', { opId: 'op2', sessionId, certType: 'limited', destination: { kind: 'pc' }, password: PASSWORD })).rejects.toMatchObject({ params: { reason: 'already-issued' } })
  })

  it('puts the old certificate back when a renewal is cancelled after saving but before confirmation', async () => {
    await call('certs.list', {})
    const before = readFileSync(join(issued.path, 'signCert.der'))
    const sessionId = await verifiedSession(customer, 'renew', issued.certId)
    // Cancel the moment the new pair has been stored: the certConf round trip then fails.
    const cancelling = {
      emit: (e: AppEvent) => {
        if (e.type === 'progress' && e.progress.opId === 'op-cancel' && e.progress.stage === 'save') void services.dispatch('enroll.cancel', { opId: 'op-cancel' }, ctx)
      },
    }
    const r = await services.dispatch('enroll.renew', { opId: 'op-cancel', sessionId, certId: issued.certId, password: PASSWORD }, cancelling)
    expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(Buffer.compare(readFileSync(join(issued.path, 'signCert.der')), before)).toBe(0)
    expect(() => openSignKey(before, readFileSync(join(issued.path, 'signPri.key')), PASSWORD)).not.toThrow()
  })

  it('renews in place inside the window; the old certificate goes to the trash', async () => {
    const sessionId = await verifiedSession(customer, 'renew', issued.certId)
    const renewed = await call<{ serialHex: string; notAfter: string; path: string }>('enroll.renew', { opId: 'op3', sessionId, certId: issued.certId, password: PASSWORD })
    expect(renewed.path).toBe(issued.path)
    expect(renewed.serialHex).not.toBe(issued.serialHex)
    expect(new Date(renewed.notAfter).getTime()).toBeGreaterThan(new Date(issued.notAfter).getTime())
    const opened = openSignKey(readFileSync(join(renewed.path, 'signCert.der')), readFileSync(join(renewed.path, 'signPri.key')), PASSWORD)
    expect(opened.privateKey.asymmetricKeyType).toBe('rsa')
    const trash = await call<{ entries: { serialHex?: string }[] }>('storage.trashList', {})
    expect(trash.entries.map((e) => e.serialHex)).toContain(issued.serialHex)
    issued = { ...issued, ...renewed }
  })

  it('reissues after a forgotten password: a new certificate, the old one revoked', async () => {
    await call('certs.list', {})
    const sessionId = await verifiedSession(customer, 'reissue')
    const NEW_PW = 'Zxcv@5b6n7m'
    const again = await call<{ serialHex: string; path: string; revokedSerialHex?: string }>('enroll.issue', { opId: 'op4', sessionId, certType: 'limited', destination: { kind: 'pc' }, password: NEW_PW })
    expect(again.serialHex).not.toBe(issued.serialHex)
    // The revoked one left the list for the trash; only the new certificate remains.
    expect(again.revokedSerialHex).toBe(issued.serialHex)
    const list = await call<{ certs: { serialHex: string }[] }>('certs.list', {})
    expect(list.certs.map((c) => c.serialHex)).toEqual([again.serialHex])
    const trash = await call<{ entries: { serialHex?: string }[] }>('storage.trashList', {})
    expect(trash.entries.map((e) => e.serialHex)).toContain(issued.serialHex)
    expect(() => openSignKey(readFileSync(join(again.path, 'signCert.der')), readFileSync(join(again.path, 'signPri.key')), NEW_PW)).not.toThrow()
    const crlUrl = `${services.center().url}/crl`
    const crl = Buffer.from(await (await fetch(crlUrl)).arrayBuffer())
    const crlFile = join(tempDir(), 'c.crl')
    writeFileSync(crlFile, crl)
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text'], { encoding: 'utf8' })
    expect(text.toUpperCase().replace(/:/g, '')).toContain(issued.serialHex.toUpperCase())
  })

  it('cancelling an unknown operation says nothing was running', async () => {
    expect(await call('enroll.cancel', { opId: 'nothing' })).toEqual({ cancelled: false })
  })
})

describe('a drive removed while the certificate is being saved', () => {
  let svc: AppServices
  const mount = tempDir('certmgr-usb-')
  const pcRoot = join(tempDir('certmgr-wiz2-'), 'NPKI')
  const local = async <T>(name: string, req: unknown): Promise<T> => {
    const r = await svc.dispatch(name, req, ctx)
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error)
    return r.value as T
  }
  beforeAll(async () => {
    process.env.CERTMGR_NPKI_ROOTS = pcRoot
    svc = await createAppServices({
      dataDir: tempDir('certmgr-wiz2-data-'),
      host: 'web',
      version: 'test',
      reminders: false,
      watch: false,
      driveList: async () => [{ id: 'sdb1', mountPoint: mount, label: 'USB', readOnly: false, kind: 'usb-stick' }],
    })
  })
  afterAll(async () => {
    await svc.close()
    process.env.CERTMGR_NPKI_ROOTS = root
  })

  async function session(customer: { card?: { serial: string; slots: string[] }; account: string }, idn: string): Promise<string> {
    const { sessionId } = await local<{ sessionId: string }>('center.startSession', { name: '김철수', idn, account: customer.account, purpose: 'issue' })
    await local('center.sendPhoneCode', { sessionId, channel: 'sms' })
    const { messages } = await local<{ messages: { text: string }[] }>('center.outbox', {})
    await local('center.verifyPhone', { sessionId, code: messages[0]!.text.match(/\d{6}/)![0] })
    const ch = await local<{ slots: [number, number] }>('center.mediumChallenge', { sessionId })
    await local('center.verifyMedium', { sessionId, response: expectedCardResponse(customer.card!, ch.slots) })
    return sessionId
  }

  it('says the drive is gone, leaves nothing behind, and the center never activates the certificate', async () => {
    const idn = '8802022345678'
    const customer = await local<{ account: string; card?: { serial: string; slots: string[] } }>('center.register', { name: '김철수', idn, phone: '010-2222-3333', medium: 'card' })
    const usbRoot = join(mount, 'NPKI')
    const sessionId = await session(customer, idn)
    // The stick is pulled: its mount point is gone (here: replaced by a file, so nothing can be created there).
    rmSync(mount, { recursive: true, force: true })
    writeFileSync(mount, '')
    await expect(local('enroll.issue', { opId: 'usb1', sessionId, certType: 'limited', destination: { kind: 'usb', root: usbRoot }, password: PASSWORD })).rejects.toMatchObject({ code: 'IO', params: { reason: 'device' } })
    expect(existsSync(usbRoot)).toBe(false)
    // The unconfirmed certificate is not active: issuing again to the PC is allowed.
    const again = await local<{ path: string }>('enroll.issue', { opId: 'pc1', sessionId: await session(customer, idn), certType: 'limited', destination: { kind: 'pc' }, password: PASSWORD })
    expect(again.path.startsWith(pcRoot)).toBe(true)
  })

  it('refuses a destination that is not one of the known roots', async () => {
    const idn = '7703033456789'
    const customer = await local<{ account: string; card?: { serial: string; slots: string[] } }>('center.register', { name: '김철수', idn, phone: '010-4444-5555', medium: 'card' })
    const sessionId = await session(customer, idn)
    await expect(local('enroll.issue', { opId: 'x1', sessionId, certType: 'limited', destination: { kind: 'pc', root: '/etc/NPKI' }, password: PASSWORD })).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })
})
