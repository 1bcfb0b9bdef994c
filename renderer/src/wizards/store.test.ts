import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { setApi } from '../api/client'
import { FakeApi } from '../testing/fake-api'
import { FLOW_STAGES, useWizardStore } from './store'

const PW = 'Qwer!9a8s7d'

function fakeCenter(fake: FakeApi) {
  let n = 0
  fake.overrides['center.startSession'] = () => ({ sessionId: `s${++n}`, medium: 'card' })
  fake.overrides['center.sendPhoneCode'] = () => ({ expiresAt: '2030-01-01T00:00:00Z', to: '***-****-5678' })
  fake.overrides['center.verifyPhone'] = (r) => {
    if (r.code !== '123456') throw { code: 'FORBIDDEN', message: 'wrong', params: { reason: 'phone-code', remaining: 2 } }
    return { verified: true }
  }
  fake.overrides['center.mediumChallenge'] = () => ({ medium: 'card', slots: [3, 17] })
  fake.overrides['center.verifyMedium'] = (r) => {
    if (r.response !== '1234') throw { code: 'FORBIDDEN', message: 'wrong', params: { reason: 'medium', remaining: 2 } }
    return { verified: true }
  }
}

/** Walks the issue wizard to its 발급 step. */
/** 발급 from its start to the 보안 인증 step, the phone verified. */
async function toMedium(w: ReturnType<typeof useWizardStore>) {
  w.start('issue')
  await w.next()
  w.data.terms.service = true
  w.data.terms.privacy = true
  await w.next()
  w.data.name = '홍길동'
  w.data.idn = '900101-1234568'
  w.data.account = '900123456789'
  expect(await w.next()).toBe(true)
  await w.sendPhoneCode()
  w.secrets.phoneCode = '123456'
  await w.verifyPhone()
}

async function toRun(w: ReturnType<typeof useWizardStore>) {
  await toMedium(w)
  w.secrets.cardFirst = '12'
  w.secrets.cardSecond = '34'
  await w.verifyMedium()
  expect(w.canNext).toBe(true)
  await w.next()
  w.data.certType = 'limited'
  await w.next()
  await w.next()
  w.secrets.password = PW
  w.secrets.password2 = PW
  await w.next()
  expect(w.step).toBe('run')
}

describe('wizard store', () => {
  let fake: FakeApi
  beforeEach(() => {
    setActivePinia(createPinia())
    fake = new FakeApi()
    setApi(fake)
    fakeCenter(fake)
  })

  it('keeps what was typed across back and next, and needs each step done before moving on', async () => {
    const w = useWizardStore()
    w.start('issue')
    await w.next()
    expect(w.step).toBe('terms')
    expect(w.canNext).toBe(false)
    w.data.terms.service = true
    expect(await w.next()).toBe(false)
    w.data.terms.privacy = true
    await w.next()
    w.data.name = '홍길동'
    w.data.idn = '12345'
    expect(w.canNext).toBe(false)
    w.data.idn = '9001011234568'
    w.data.account = '900123456789'
    await w.next()
    expect(w.step).toBe('auth')
    w.back()
    expect(w.data.name).toBe('홍길동')
    // Unchanged details reuse the session; changed ones drop it with its checks.
    await w.next()
    expect(fake.calls.filter((c) => c.name === 'center.startSession')).toHaveLength(1)
    w.back()
    w.data.name = '김철수'
    expect(w.data.sessionId).toBe('')
    await w.next()
    expect(fake.calls.filter((c) => c.name === 'center.startSession')).toHaveLength(2)
  })

  it('shows the center’s reason and clears the half-codes after a wrong answer', async () => {
    const w = useWizardStore()
    await toRun(w)
    await toMedium(w)
    w.secrets.cardFirst = '99'
    w.secrets.cardSecond = '99'
    await w.verifyMedium()
    expect(w.error?.params).toMatchObject({ reason: 'medium', remaining: 2 })
    expect(w.secrets.cardFirst + w.secrets.cardSecond).toBe('')
    expect(w.data.mediumVerified).toBe(false)
  })

  it('cancel during 발급 asks main to stop the operation and wipes every secret', async () => {
    const w = useWizardStore()
    await toRun(w)
    let release: (() => void) | undefined
    fake.overrides['enroll.issue'] = () => new Promise((_, reject) => (release = () => reject({ code: 'CANCELLED', message: 'cancelled' })))
    fake.overrides['enroll.cancel'] = () => {
      release?.()
      return { cancelled: true }
    }
    const running = w.run()
    expect(w.running).toBe(true)
    const opId = w.opId
    await w.cancel()
    await running
    expect(fake.calls.find((c) => c.name === 'enroll.cancel')?.req).toEqual({ opId })
    expect(Object.values(w.secrets).every((v) => v === '')).toBe(true)
    expect(w.data.sessionId).toBe('')
    expect(w.step).toBe('prepare')
    expect(w.cancelledNote).toBe(true)
    // The late failure of the cancelled call does not come back as an error on the fresh screen.
    expect(w.error).toBeNull()
  })

  it('moves to 완료 with the result and forgets the password after success', async () => {
    const w = useWizardStore()
    await toRun(w)
    fake.overrides['enroll.issue'] = () => ({ certId: 'n1', owner: '홍길동', kind: 'limited', issuerName: 'X', serialHex: '01', notAfter: '2030-01-01T00:00:00Z', location: 'pc', path: '/p' })
    await w.run()
    expect(w.step).toBe('done')
    expect(w.result?.certId).toBe('n1')
    expect(w.secrets.password).toBe('')
    const req = fake.calls.find((c) => c.name === 'enroll.issue')?.req as { destination: unknown; certType: string }
    expect(req).toMatchObject({ certType: 'limited', destination: { kind: 'pc' } })
  })

  it('lists the run stages in the order main reports them (save before confirm) and never steps back', async () => {
    expect(FLOW_STAGES.issue).toEqual(['keygen', 'request', 'save', 'confirm'])
    expect(FLOW_STAGES.reissue).toEqual(['keygen', 'request', 'save', 'confirm'])
    expect(FLOW_STAGES.renew).toEqual(['keygen', 'request', 'save'])
    const w = useWizardStore()
    await toRun(w)
    const seen: string[] = []
    let finish: (() => void) | undefined
    fake.overrides['enroll.issue'] = () =>
      new Promise((resolve) => {
        finish = () => resolve({ certId: 'n1', owner: '홍길동', kind: 'limited', issuerName: 'X', serialHex: '01', notAfter: '2030-01-01T00:00:00Z', location: 'pc', path: '/p' })
      })
    const running = w.run()
    // The same sequence main's enroll.issue sends, including the late 'request' after certConf.
    for (const [stage, fraction] of [['keygen', 0.1], ['request', 0.4], ['request', 0.5], ['save', 0.6], ['confirm', 0.7], ['request', 0.5]] as const) {
      fake.emit({ type: 'progress', progress: { opId: w.opId, stage, fraction } })
      seen.push(String(w.stage))
    }
    expect(seen).toEqual(['keygen', 'request', 'request', 'save', 'confirm', 'confirm'])
    finish?.()
    await running
    expect(w.stage).toBe('done')
  })

  it('보안토큰: a wrong PIN keeps the wizard on the location step; then no password step, and the PIN goes only in the issue call', async () => {
    const w = useWizardStore()
    await toMedium(w)
    w.secrets.cardFirst = '12'
    w.secrets.cardSecond = '34'
    await w.verifyMedium()
    await w.next()
    w.data.certType = 'limited'
    await w.next()
    expect(w.step).toBe('location')
    const tok = { module: '/usr/lib/softhsm/libsofthsm2.so', slot: '0a1b', label: 'my-token' }
    fake.overrides['token.list'] = (r) => {
      if (r.pin !== '2468') throw { code: 'TOKEN', message: 'the PIN is incorrect', params: { reason: 'pin-incorrect', attemptsLeft: 4 } }
      return { certs: [] }
    }
    w.data.destination = 'token'
    expect(w.canNext).toBe(false)
    const err = await w.unlockToken(tok, '0000')
    expect(err).toMatchObject({ code: 'TOKEN', params: { reason: 'pin-incorrect', attemptsLeft: 4 } })
    expect(w.canNext).toBe(false)
    expect(w.secrets.tokenPin).toBe('')
    expect(await w.unlockToken(tok, '2468')).toBeNull()
    expect(w.steps).not.toContain('password')
    expect(await w.next()).toBe(true)
    expect(w.step).toBe('run')
    fake.overrides['enroll.issue'] = () => ({ certId: 'token:01', owner: '홍길동', kind: 'limited', issuerName: 'X', serialHex: '01', notAfter: '2030-01-01T00:00:00Z', location: 'token', path: 'my-token', token: { label: 'my-token', idHex: '01' } })
    await w.run()
    expect(w.step).toBe('done')
    const req = fake.calls.find((c) => c.name === 'enroll.issue')?.req as Record<string, unknown>
    expect(req).toMatchObject({ destination: { kind: 'token', module: tok.module, slot: tok.slot, pin: '2468' } })
    expect(req).not.toHaveProperty('password')
    expect(w.secrets.tokenPin).toBe('')
  })

  it('갱신 of a certificate on a security token: opened with its PIN, no password step, the serial to the RA and the PIN only in the renew call', async () => {
    const w = useWizardStore()
    w.start('renew')
    expect(w.step).toBe('select')
    const tok = { module: '/usr/lib/softhsm/libsofthsm2.so', slot: '0a1b', label: 'my-token' }
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString()
    fake.overrides['token.list'] = () => ({ certs: [{ idHex: 'ab12', label: '홍길동', serialHex: '7f01', owner: '홍길동', subjectDn: 'cn=홍길동', issuerName: 'CertMgr Center', notAfter: soon, hasPrivateKey: true }] })
    expect(await w.unlockToken(tok, '2468')).toBeNull()
    expect(w.tokenCerts.map((c) => c.idHex)).toEqual(['ab12'])
    w.data.certId = 'token:ab12'
    expect(w.steps).not.toContain('certPassword')
    expect(w.renewTokenCert?.serialHex).toBe('7f01')
    expect(await w.next()).toBe(true)
    expect(w.step).toBe('identity')
    w.data.account = '900123456789'
    expect(await w.next()).toBe(true)
    expect(fake.calls.find((c) => c.name === 'center.startSession')?.req).toMatchObject({ purpose: 'renew', certId: 'token:ab12', serialHex: '7f01' })
    w.secrets.cardFirst = '12'
    w.secrets.cardSecond = '34'
    await w.verifyMedium()
    expect(await w.next()).toBe(true)
    expect(w.step).toBe('run')
    fake.overrides['enroll.renew'] = () => ({ certId: 'token:cd34', owner: '홍길동', kind: 'limited', issuerName: 'X', serialHex: '7f02', notAfter: '2030-01-01T00:00:00Z', location: 'token', path: 'my-token', token: { label: 'my-token', idHex: 'cd34' } })
    await w.run()
    expect(w.step).toBe('done')
    const req = fake.calls.find((c) => c.name === 'enroll.renew')?.req as Record<string, unknown>
    expect(req).toMatchObject({ certId: 'token:ab12', token: { module: tok.module, slot: tok.slot, pin: '2468' } })
    expect(req).not.toHaveProperty('password')
    expect(w.secrets.tokenPin).toBe('')
  })
})
