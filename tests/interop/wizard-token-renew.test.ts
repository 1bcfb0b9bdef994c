import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { expectedCardResponse } from '../../center/ra/card'
import { createDispatcher, type Dispatch } from '../../app/dispatch'
import { createWizardHandlers } from '../../app/wizard/handlers'
import { Trash } from '../../core/storage/trash'
import { tokenRandomNum, type TokenInfo } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { centerCalls } from '../../shared/contract/center'
import { enrollCalls } from '../../shared/contract/enroll'
import type { AppEvent } from '../../shared/contract/progress'
import { tempDir } from '../helpers/fixtures'
import { pkcs11ToolObjects, SOFTHSM_MODULE, softHsm, type SoftHsm, softHsmToken } from '../helpers/softhsm'

// 갱신 of a certificate on a SoftHSM2 token through the wizard's main-side calls, against the
// real embedded center with its RA checks (--renewal-check ra); pkcs11-tool checks the token.
const LABEL = 'wiz-renew'
const PIN = '135790'
const IDN = '8801011234561'
const events: AppEvent[] = []
const ctx = { emit: (e: AppEvent) => events.push(e) }
let hsm: SoftHsm
let center: RunningCenter
let dispatch: Dispatch
let token: TokenInfo
let customer: { account: string; card?: { serial: string; slots: string[] } }

async function call<T>(name: string, req: unknown): Promise<T> {
  const r = await dispatch(name, req, ctx)
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error)
  return r.value as T
}

async function verifiedSession(purpose: string, extra: Record<string, string> = {}): Promise<string> {
  const { sessionId } = await call<{ sessionId: string }>('center.startSession', { ...(purpose === 'renew' ? {} : { name: '김토큰', idn: IDN }), account: customer.account, purpose, ...extra })
  if (purpose !== 'renew') {
    await call('center.sendPhoneCode', { sessionId, channel: 'sms' })
    const newest = (await center.ra.outbox(1))[0]!
    await call('center.verifyPhone', { sessionId, code: newest.text.match(/\d{6}/)![0] })
  }
  const ch = await call<{ slots: [number, number] }>('center.mediumChallenge', { sessionId })
  await call('center.verifyMedium', { sessionId, response: expectedCardResponse(customer.card!, ch.slots) })
  return sessionId
}

const tokenObjects = () => pkcs11ToolObjects(LABEL, PIN)

beforeAll(async () => {
  hsm = softHsm([{ label: LABEL, pin: PIN }])
  const work = tempDir('certmgr-wiztokrenew-')
  center = await startCenter({ host: '127.0.0.1', port: 0, dataDir: join(work, 'center'), validityDays: 20 })
  const handlers = createWizardHandlers({ center: () => ({ url: center.url, embedded: true }), trash: new Trash(join(work, 'data')), pinGuard: new PinGuard(join(work, 'pins.json'), 5), tokenModules: async () => [SOFTHSM_MODULE] })
  dispatch = createDispatcher({ ...centerCalls, ...enrollCalls }, handlers as never)
  token = await softHsmToken(LABEL)
  customer = (await center.ra.createCustomer({ name: '김토큰', idn: IDN, phone: '010-7777-8888', balanceKrw: 100_000 })) as never
  customer.card = await center.ra.securityCard((customer as unknown as { customerId: string }).customerId)
})

afterAll(async () => {
  await center?.close()
  hsm?.close()
})

describe('the 갱신 wizard for a certificate on a security token', () => {
  it('renews on the token: new key pair, kur signed by the old token key, new certificate and randomNum beside it, old objects removed', async () => {
    const slotPin = { module: SOFTHSM_MODULE, slot: token.slot, pin: PIN }
    const issued = await call<{ serialHex: string; token: { idHex: string } }>('enroll.issue', { opId: 'i1', sessionId: await verifiedSession('issue'), certType: 'limited', destination: { kind: 'token', ...slotPin } })
    const oldId = issued.token.idHex
    const ref = { module: SOFTHSM_MODULE, label: LABEL }
    const randomNum = await tokenRandomNum(ref, PIN, oldId)
    const before = tokenObjects()

    const sessionId = await verifiedSession('renew', { certId: `token:${oldId}`, serialHex: issued.serialHex })
    // Without its slot and PIN a token certificate is refused before anything is generated or sent.
    await expect(call('enroll.renew', { opId: 'r0', sessionId, certId: `token:${oldId}` })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    expect(tokenObjects()).toEqual(before)
    events.length = 0
    const renewed = await call<{ serialHex: string; location: string; certId: string; token: { idHex: string } }>('enroll.renew', { opId: 'r1', sessionId, certId: `token:${oldId}`, token: slotPin })
    expect(renewed.location).toBe('token')
    expect(renewed.serialHex).not.toBe(issued.serialHex)
    const newId = renewed.token.idHex
    expect(renewed.certId).toBe(`token:${newId}`)
    const stages = events.filter((e) => e.type === 'progress').map((e) => (e as { progress: { stage: string } }).progress.stage)
    expect(stages.indexOf('keygen')).toBeLessThan(stages.indexOf('save'))

    const after = tokenObjects()
    expect(after).toHaveLength(before.length)
    expect(after.filter((o) => o.id === oldId)).toEqual([])
    // pkcs11-tool sees the randomNum of the old key before, and after only the new key's, beside it.
    expect(before.filter((o) => o.cls === 'Data')).toEqual([{ cls: 'Data', id: oldId }])
    expect(after.filter((o) => o.id === newId).map((o) => o.cls).sort()).toEqual(['Certificate', 'Data', 'Private Key', 'Public Key'])
    expect(await tokenRandomNum(ref, PIN, newId)).toEqual(randomNum)
    expect((await center.ca.certBySerial(renewed.serialHex))?.status).toBe('active')
    expect((await center.ca.certBySerial(issued.serialHex))?.status).toBe('revoked')
  })
})
