import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { expectedCardResponse } from '../../center/ra/card'
import { centerCalls } from '../../shared/contract/center'
import { enrollCalls } from '../../shared/contract/enroll'
import type { AppEvent } from '../../shared/contract/progress'
import { tempDir } from '../helpers/fixtures'
import { SOFTHSM_MODULE, softHsm, type SoftHsm, softHsmToken } from '../helpers/softhsm'
import { createDispatcher, type Dispatch } from '../../app/dispatch'
import { verifyVid } from '../../core/formats/vid'
import { Trash } from '../../core/storage/trash'
import { listTokenCerts, signWithToken, tokenKeyFlags, tokenRandomNum, type TokenInfo } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { createWizardHandlers } from '../../app/wizard/handlers'
import { main } from '../../cli/certmgr'
import { createEnrollCommands } from '../../cli/commands/enroll'
import { textIO } from '../helpers/cli-io'

// 발급 straight onto a SoftHSM2 token through the wizard's main-side calls, against the real
// embedded center; pkcs11-tool and openssl check what landed on the token.
const LABEL = 'wiz-token'
const PIN = '246810'
const IDN = '9001011234568'
const ctx = { emit: (e: AppEvent) => events.push(e) }
const events: AppEvent[] = []
let hsm: SoftHsm
let center: RunningCenter
let dispatch: Dispatch
let guard: PinGuard
let token: TokenInfo
let work = ''
let customer: { account: string; card?: { serial: string; slots: string[] } }

async function call<T>(name: string, req: unknown, c = ctx): Promise<T> {
  const r = await dispatch(name, req, c)
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error)
  return r.value as T
}

function p11(...args: string[]): string {
  const r = spawnSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', LABEL, '--login', '--pin', PIN, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pkcs11-tool ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** How many objects of each class pkcs11-tool sees on the token. */
function objectCounts(): { priv: number; pub: number; cert: number; data: number } {
  const out = p11('--list-objects')
  const n = (re: RegExp) => out.match(re)?.length ?? 0
  return { priv: n(/^Private Key Object/gm), pub: n(/^Public Key Object/gm), cert: n(/^Certificate Object/gm), data: n(/^Data object/gm) }
}

async function verifiedSession(purpose = 'issue'): Promise<string> {
  const { sessionId } = await call<{ sessionId: string }>('center.startSession', { name: '홍길동', idn: IDN, account: customer.account, purpose })
  await call('center.sendPhoneCode', { sessionId, channel: 'sms' })
  const { messages } = await call<{ messages: { at: string; text: string }[] }>('center.outbox', {})
  const newest = [...messages].sort((a, b) => b.at.localeCompare(a.at))[0]!
  await call('center.verifyPhone', { sessionId, code: newest.text.match(/\d{6}/)![0] })
  const ch = await call<{ slots: [number, number] }>('center.mediumChallenge', { sessionId })
  await call('center.verifyMedium', { sessionId, response: expectedCardResponse(customer.card!, ch.slots) })
  return sessionId
}

const dest = (pin = PIN) => ({ kind: 'token' as const, module: SOFTHSM_MODULE, slot: token.slot, pin })

beforeAll(async () => {
  hsm = softHsm([{ label: LABEL, pin: PIN }])
  work = tempDir('certmgr-wiztok-')
  // The embedded center's outbox and self-registration need its per-run secret.
  center = await startCenter({ host: '127.0.0.1', port: 0, dataDir: join(work, 'center'), embedded: { secret: 'wizard-token-test' } })
  guard = new PinGuard(join(work, 'pins.json'), 5)
  const handlers = createWizardHandlers({ center: () => ({ url: center.url, embedded: true, secret: 'wizard-token-test' }), trash: new Trash(join(work, 'data')), pinGuard: guard, tokenModules: async () => [SOFTHSM_MODULE] })
  dispatch = createDispatcher({ ...centerCalls, ...enrollCalls }, handlers as never)
  token = await softHsmToken(LABEL)
  customer = await call('center.register', { name: '홍길동', idn: IDN, phone: '010-1234-5678', medium: 'card' })
})

afterAll(async () => {
  await center?.close()
  hsm?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('issuing onto a security token', () => {
  let sessionId = ''

  it('a wrong PIN is refused before anything is generated or requested, and counts against the PIN', async () => {
    sessionId = await verifiedSession()
    await expect(call('enroll.issue', { opId: 'tok-pin', sessionId, certType: 'limited', destination: dest('000000') })).rejects.toMatchObject({
      code: 'TOKEN',
      params: { reason: 'pin-incorrect', attemptsLeft: 4 },
    })
    expect(guard.failures(`${SOFTHSM_MODULE}#${token.serial}`)).toBe(1)
    expect(objectCounts()).toEqual({ priv: 0, pub: 0, cert: 0, data: 0 })
  })

  it('a cancel after the certificate was stored but before certConf leaves nothing on the token', async () => {
    // Same session: the wrong PIN did not spend the RA's one-time codes.
    const cancelling = {
      emit: (e: AppEvent) => {
        if (e.type === 'progress' && e.progress.opId === 'tok-cancel' && e.progress.stage === 'save') void dispatch('enroll.cancel', { opId: 'tok-cancel' }, ctx)
      },
    }
    const r = await dispatch('enroll.issue', { opId: 'tok-cancel', sessionId, certType: 'limited', destination: dest() }, cancelling)
    expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(objectCounts()).toEqual({ priv: 0, pub: 0, cert: 0, data: 0 })
    // The right PIN reset the app's count.
    expect(guard.failures(`${SOFTHSM_MODULE}#${token.serial}`)).toBe(0)
  })

  let issued: { certId: string; serialHex: string; location: string; path: string; owner: string; token?: { label: string; idHex: string } }

  it('issues onto the token: key, certificate and randomNum share one id, and the key cannot leave the token', async () => {
    events.length = 0
    // The cancelled certificate was never activated, so a new one of the same type is allowed.
    issued = await call('enroll.issue', { opId: 'tok-1', sessionId: await verifiedSession(), certType: 'limited', destination: dest() })
    expect(issued).toMatchObject({ location: 'token', path: LABEL, token: { label: LABEL } })
    const idHex = issued.token!.idHex
    const stages = events.filter((e) => e.type === 'progress').map((e) => (e as { progress: { stage: string } }).progress.stage)
    expect(stages).toEqual(expect.arrayContaining(['keygen', 'request', 'save', 'done']))
    expect(stages.indexOf('keygen')).toBeLessThan(stages.indexOf('save'))

    const certs = await listTokenCerts({ module: SOFTHSM_MODULE, label: LABEL }, PIN, { guard })
    expect(certs).toEqual([expect.objectContaining({ idHex, serialHex: issued.serialHex, owner: issued.owner, hasPrivateKey: true })])
    expect(await tokenKeyFlags({ module: SOFTHSM_MODULE, label: LABEL }, PIN, idHex, { guard })).toEqual({ sensitive: true, extractable: false })

    // pkcs11-tool: one key pair and one certificate under the same ID and label, plus the randomNum.
    expect(objectCounts()).toEqual({ priv: 1, pub: 1, cert: 1, data: 1 })
    const listing = p11('--list-objects')
    expect(listing.match(new RegExp(`ID:\\s+${idHex}`, 'g'))).toHaveLength(3)
    expect(listing).toContain(`label:      ${certs[0]!.label}`)
    expect(listing).not.toContain('certmgr pending')

    // The VID in the certificate matches the resident number with the randomNum kept on the token.
    const certFile = join(work, 'tok.der')
    p11('--read-object', '--type', 'cert', '--id', idHex, '--output-file', certFile)
    const certDer = readFileSync(certFile)
    const randomNum = await tokenRandomNum({ module: SOFTHSM_MODULE, label: LABEL }, PIN, idHex, { guard })
    expect(randomNum).toHaveLength(20)
    expect(verifyVid(certDer, randomNum!, IDN)).toBe('match')

    // A signature made on the token verifies with the issued certificate's key (openssl).
    const data = new TextEncoder().encode('이체 확인 1,000원')
    writeFileSync(join(work, 'data.bin'), data)
    writeFileSync(join(work, 'sig.bin'), await signWithToken({ module: SOFTHSM_MODULE, label: LABEL }, PIN, idHex, data, { guard }))
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', certFile, '-pubkey', '-noout', '-out', join(work, 'pub.pem')])
    const ok = spawnSync('openssl', ['dgst', '-sha256', '-verify', join(work, 'pub.pem'), '-signature', join(work, 'sig.bin'), join(work, 'data.bin')], { encoding: 'utf8' })
    expect(ok.stdout.trim()).toBe('Verified OK')
    writeFileSync(join(work, 'data.bin'), 'tampered')
    const bad = spawnSync('openssl', ['dgst', '-sha256', '-verify', join(work, 'pub.pem'), '-signature', join(work, 'sig.bin'), join(work, 'data.bin')], { encoding: 'utf8' })
    expect(bad.status).toBe(1)
  })

  it('a refusal by the center destroys the key generated for it', async () => {
    // One valid limited certificate per person: the center refuses a second, after keygen.
    await expect(call('enroll.issue', { opId: 'tok-2', sessionId: await verifiedSession(), certType: 'limited', destination: dest() })).rejects.toMatchObject({ params: { reason: 'already-issued' } })
    expect(objectCounts()).toEqual({ priv: 1, pub: 1, cert: 1, data: 1 })
  })

  it('refuses a module outside the configured list and a missing slot', async () => {
    const sid = await verifiedSession()
    await expect(call('enroll.issue', { opId: 'tok-3', sessionId: sid, certType: 'limited', destination: { ...dest(), module: '/tmp/evil.so' } })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(call('enroll.issue', { opId: 'tok-4', sessionId: sid, certType: 'limited', destination: { ...dest(), slot: 'ffffffff' } })).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'token-removed' } })
  })

  it('still requires a password for the hard disk', async () => {
    await expect(call('enroll.issue', { opId: 'tok-5', sessionId: await verifiedSession(), certType: 'limited', destination: { kind: 'pc' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
  })
})

describe('certmgr issue --token', () => {
  const cli = textIO

  it('issues onto the token with codes from the RA; a wrong PIN is exit 1 and leaves nothing', async () => {
    const sid = await verifiedSession()
    const codes = (await (await fetch(`${center.url}/ra/sessions/${sid}/codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ certType: 'general' }) })).json()) as { reference: string; authCode: string }
    writeFileSync(join(work, 'code'), codes.authCode + '\n')
    writeFileSync(join(work, 'pin'), PIN + '\n')
    writeFileSync(join(work, 'badpin'), '999999\n')
    const args = ['issue', '--center', center.url, '--reference', codes.reference, '--auth-code-file', join(work, 'code'), '--token', LABEL, '--module', SOFTHSM_MODULE, '--data', join(work, 'cli-data')]
    const before = objectCounts()
    let io = cli()
    expect(await main([...args, '--pin-file', join(work, 'badpin')], io, createEnrollCommands())).toBe(1)
    expect(io.errText).toContain('the PIN is incorrect')
    expect(objectCounts()).toEqual(before)
    io = cli()
    expect(await main([...args, '--root', join(work, 'npki'), '--pin-file', join(work, 'pin')], io, createEnrollCommands())).toBe(2)
    io = cli()
    expect(await main([...args, '--pin-file', join(work, 'pin')], io, createEnrollCommands())).toBe(0)
    const id = io.outText.match(/stored on the token with id ([0-9a-f]{40})/)![1]!
    expect(objectCounts()).toEqual({ priv: before.priv + 1, pub: before.pub + 1, cert: before.cert + 1, data: before.data + 1 })
    const certs = await listTokenCerts({ module: SOFTHSM_MODULE, label: LABEL }, PIN, { guard })
    expect(certs.find((c) => c.idHex === id)).toMatchObject({ hasPrivateKey: true, owner: '홍길동' })
  })
})

