import { sign, X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@libsql/client'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { registrationSignedData } from '../../shared/register-challenge'
import { openCenterDb } from '../db'
import { expectedCardResponse, type SecurityCard } from './card'
import { Ra, type CreatedCustomer } from './ra'
import { FakeCa, opensslCa, opensslCert, type TestCa, type TestCert } from './testing'
import { base32Decode, totp } from './totp'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

const IDN = '9001011234567'
const ACCOUNT = '110123456789'

let dir: string
let db: Client
let clock: Date
let ra: Ra

const tick = (seconds: number) => {
  clock = new Date(clock.getTime() + seconds * 1000)
}

async function rejects(p: Promise<unknown>, code: string, reason?: string): Promise<CertError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(CertError)
  const ce = err as CertError
  expect(ce.code).toBe(code)
  if (reason) expect(ce.params?.reason).toBe(reason)
  return ce
}

async function lastCode(): Promise<string> {
  const [msg] = await ra.outbox(1)
  const m = /(\d{6})/.exec(msg?.text.replace(/(\d) (?=\d)/g, '$1') ?? '')
  if (!m?.[1]) throw new Error('no code in the outbox')
  return m[1]
}

async function addCustomer(medium: 'card' | 'otp' = 'card', extra: Partial<{ idn: string; account: string; balanceKrw: number }> = {}): Promise<CreatedCustomer> {
  return ra.createCustomer({ name: '홍길동', idn: extra.idn ?? IDN, phone: '010-1234-5678', account: extra.account ?? ACCOUNT, medium, balanceKrw: extra.balanceKrw })
}

/** Opens a session and passes the phone and medium checks. */
async function verifiedSession(c: CreatedCustomer, purpose: 'issue' | 'reissue' | 'renew' | 'revoke' | 'register', opts: { phone?: boolean } = {}): Promise<string> {
  const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose })
  if (opts.phone !== false) {
    await ra.sendPhoneCode(sessionId, 'sms')
    await ra.verifyPhoneCode(sessionId, await lastCode())
  }
  const ch = await ra.mediumChallenge(sessionId)
  if (ch.medium === 'card') {
    await ra.verifyMedium(sessionId, expectedCardResponse(c.card as SecurityCard, ch.slots))
  } else {
    const secret = base32Decode(new URL(c.otpUri!).searchParams.get('secret')!)
    await ra.verifyMedium(sessionId, totp(secret, Math.floor(clock.getTime() / 1000)))
  }
  return sessionId
}

let store: TestStore

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ra-test-'))
  store = await freshStore()
  db = await openCenterDb(dir, { dbUrl: store.dbUrl })
  clock = new Date('2026-03-01T00:00:00Z')
  ra = new Ra(db, { now: () => clock, outboxDir: dir, keyDir: dir, codeTtlSeconds: 600 })
})

afterEach(async () => {
  db.close()
  await store.drop()
  rmSync(dir, { recursive: true, force: true })
})

/** Every byte the store holds: the SQLite files, or on PostgreSQL every row of every table as text. */
async function storedBytes(): Promise<Buffer> {
  if (store.name === 'sqlite') {
    const files = readdirSync(dir).filter((f) => f.startsWith('center.db'))
    return Buffer.concat(files.map((f) => readFileSync(join(dir, f))))
  }
  const tables = await db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
  const dumps: string[] = []
  for (const t of tables.rows) {
    const rows = await db.execute(`SELECT * FROM ${String(t.table_name)}`)
    dumps.push(JSON.stringify(rows.rows.map((r) => Array.from(r as ArrayLike<unknown>, (v) => (v instanceof ArrayBuffer ? Buffer.from(v).toString('latin1') : v)))))
  }
  return Buffer.from(dumps.join('\n'))
}

describe('customers', () => {
  it('creates a customer with a card, an account and the starting balance', async () => {
    const c = await addCustomer()
    expect(c.customerId).toMatch(/^C\d{9}$/)
    expect(c.account).toBe(ACCOUNT)
    expect(c.card?.slots).toHaveLength(30)
    expect(await ra.accounts(c.customerId)).toEqual([{ number: ACCOUNT, balanceKrw: 10_000 }])
    expect(await ra.getCustomer(c.customerId)).toEqual({ id: c.customerId, name: '홍길동', idn: IDN, phone: '01012345678', bankCode: 'CERTMGR' })
    expect(await ra.getCustomer('C000000000')).toBeUndefined()
    expect((await ra.securityCard(c.customerId)).slots).toEqual(c.card?.slots)
  })

  it('refuses a second customer with the same resident number or account', async () => {
    await addCustomer()
    await rejects(addCustomer('card', { account: '220000000000' }), 'CONFLICT', 'customer-exists')
    await rejects(addCustomer('card', { idn: '8001011234567' }), 'CONFLICT', 'account-exists')
    await rejects(ra.createCustomer({ name: 'x', idn: '123', phone: '01012345678' }), 'BAD_REQUEST')
  })

  it('never stores the resident number, card or OTP seed in clear, nor writes them to the audit', async () => {
    const c = await addCustomer('otp')
    const card = await ra.createCustomer({ name: '김철수', idn: '8505052345678', phone: '01099998888', medium: 'card' })
    const bytes = await storedBytes()
    expect(bytes.length).toBeGreaterThan(1000)
    db.close()
    expect(bytes.includes(Buffer.from(IDN))).toBe(false)
    expect(bytes.includes(Buffer.from('8505052345678'))).toBe(false)
    expect(bytes.includes(Buffer.from(new URL(c.otpUri!).searchParams.get('secret')!))).toBe(false)
    expect(bytes.includes(Buffer.from(card.card!.slots.slice(0, 6).join('","')))).toBe(false)
    expect(readdirSync(dir)).toContain('ra-secret.key')
    db = await openCenterDb(dir, { dbUrl: store.dbUrl })
    ra = new Ra(db, { now: () => clock, keyDir: store.dbUrl ? dir : undefined })
    expect((await ra.getCustomer(c.customerId))?.idn).toBe(IDN)
  })
})

describe('identity check', () => {
  it('slows down a source after five mismatches; the operator can still unlock a customer the bank locked', async () => {
    const c = await addCustomer()
    for (let i = 1; i <= 4; i++) {
      const e = await rejects(ra.openSession({ name: '홍길동', idn: IDN, account: '999999999999', purpose: 'issue' }, 'attacker'), 'FORBIDDEN', 'identity')
      expect(e.params?.remaining).toBe(5 - i)
    }
    await rejects(ra.openSession({ name: '홍길숙', idn: IDN, account: ACCOUNT, purpose: 'issue' }, 'attacker'), 'FORBIDDEN', 'slow-down')
    // Even the right answers are refused from that source while it waits.
    const wait = await rejects(ra.openSession({ name: '홍길동', idn: IDN, account: ACCOUNT, purpose: 'issue' }, 'attacker'), 'FORBIDDEN', 'slow-down')
    expect(wait.params?.retryAfterSeconds).toBe(60)
    tick(61)
    expect((await ra.openSession({ name: '홍길동', idn: IDN, account: ACCOUNT, purpose: 'issue' }, 'attacker')).medium).toBe('card')
    // A lock the bank set holds until the operator lifts it.
    await db.execute({ sql: 'UPDATE ra_customers SET identity_locked_at = 1 WHERE id = ?', args: [c.customerId] })
    await rejects(ra.openSession({ name: '홍길동', idn: IDN, account: ACCOUNT, purpose: 'issue' }), 'FORBIDDEN', 'identity-locked')
    await ra.unlockCustomer(c.customerId)
    const s = await ra.openSession({ name: '홍길동', idn: IDN, account: '1101-2345-6789', purpose: 'issue' })
    expect(s.medium).toBe('card')
    const audit = await db.execute("SELECT outcome, detail FROM audit WHERE action = 'session.open' ORDER BY id")
    expect(audit.rows.map((r) => r.outcome)).toEqual(['fail', 'fail', 'fail', 'fail', 'locked', 'locked', 'ok', 'locked', 'ok'])
    const all = await db.execute('SELECT * FROM audit')
    expect(JSON.stringify(all.rows)).not.toContain(IDN)
    expect(JSON.stringify(all.rows)).not.toContain(ACCOUNT)
  })

  it('identity enumeration: an unknown identity and a registered account get the same answer', async () => {
    await addCustomer()
    const answer = async (input: { name: string; idn: string; account: string }, source: string) => {
      const e = await rejects(ra.openSession({ ...input, purpose: 'issue' }, source), 'FORBIDDEN', 'identity')
      return { code: e.code, message: e.message, params: e.params }
    }
    const unknown = await answer({ name: '김철수', idn: '8001011234567', account: '220000000000' }, 'a')
    const knownAccount = await answer({ name: '김철수', idn: '8001011234567', account: ACCOUNT }, 'b')
    const knownIdn = await answer({ name: '김철수', idn: IDN, account: '220000000000' }, 'c')
    const wrongName = await answer({ name: '김철수', idn: IDN, account: ACCOUNT }, 'd')
    expect(knownAccount).toEqual(unknown)
    expect(knownIdn).toEqual(unknown)
    expect(wrongName).toEqual(unknown)
    expect(unknown.params?.remaining).toBe(4)
  })

  it('lockout by strangers: tries with only the victim\'s account number never lock the victim', async () => {
    await addCustomer()
    // Twenty guesses from one source, waiting out every slow-down, and five from five more sources.
    for (let i = 0; i < 20; i++) {
      await ra.openSession({ name: '홍길동', idn: `80010112345${String(i).padStart(2, '0')}`, account: ACCOUNT, purpose: 'issue' }, 'stranger').catch(() => undefined)
      tick(3601)
    }
    for (let i = 0; i < 5; i++) await rejects(ra.openSession({ name: '홍길동', idn: '8001011234567', account: ACCOUNT, purpose: 'issue' }, `other-${i}`), 'FORBIDDEN', 'identity')
    const s = await ra.openSession({ name: '홍길동', idn: IDN, account: ACCOUNT, purpose: 'issue' }, 'victim')
    expect(s.medium).toBe('card')
  })
})

describe('phone verification', () => {
  it('sends a Korean SMS to the outbox and its file, and accepts the code once', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    await rejects(ra.verifyPhoneCode(sessionId, '000000'), 'CONFLICT', 'phone-code-not-sent')
    const sent = await ra.sendPhoneCode(sessionId, 'sms')
    expect(sent.to).toBe('***-****-5678')
    const [msg] = await ra.outbox(5)
    expect(msg?.to).toBe('01012345678')
    expect(msg?.text).toMatch(/^\[CertMgr 인증센터\] 인증번호 \d{6} \(3분 이내 입력\)$/)
    const line = JSON.parse(readFileSync(join(dir, 'outbox.jsonl'), 'utf8').trim()) as { text: string; channel: string }
    expect(line.text).toBe(msg?.text)
    expect(line.channel).toBe('sms')
    await ra.verifyPhoneCode(sessionId, await lastCode())
    expect((await ra.sessionState(sessionId)).phoneVerified).toBe(true)
  })

  it('locks the session after three wrong codes', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    await ra.sendPhoneCode(sessionId, 'ars')
    const right = await lastCode()
    const wrong = right === '000000' ? '000001' : '000000'
    expect((await rejects(ra.verifyPhoneCode(sessionId, wrong), 'FORBIDDEN', 'phone-code')).params?.remaining).toBe(2)
    expect((await rejects(ra.verifyPhoneCode(sessionId, wrong), 'FORBIDDEN', 'phone-code')).params?.remaining).toBe(1)
    await rejects(ra.verifyPhoneCode(sessionId, wrong), 'FORBIDDEN', 'session-locked')
    await rejects(ra.verifyPhoneCode(sessionId, right), 'FORBIDDEN', 'session-locked')
    await rejects(ra.mediumChallenge(sessionId), 'FORBIDDEN', 'session-locked')
  })

  it('wrong-code count reset by a new code: asking for another code keeps the count of the session', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    let wrongTries = 0
    let locked = false
    for (let send = 0; send < 5 && !locked; send++) {
      await ra.sendPhoneCode(sessionId, 'sms')
      const right = await lastCode()
      const wrong = right === '000000' ? '000001' : '000000'
      for (let i = 0; i < 2 && !locked; i++) {
        const e = await rejects(ra.verifyPhoneCode(sessionId, wrong), 'FORBIDDEN')
        if (e.params?.reason === 'session-locked') locked = true
        else wrongTries++
      }
    }
    // Three wrong codes in one session, however many codes were asked for.
    expect(locked).toBe(true)
    expect(wrongTries).toBe(2)
    await rejects(ra.sendPhoneCode(sessionId, 'sms'), 'FORBIDDEN', 'session-locked')
  })

  it('counts parallel guesses: ten at once still get only three tries', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    await ra.sendPhoneCode(sessionId, 'sms')
    const right = await lastCode()
    const guesses = Array.from({ length: 10 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0'))
    const results = await Promise.allSettled(guesses.map((g) => ra.verifyPhoneCode(sessionId, g)))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    const attempts = await db.execute("SELECT outcome FROM audit WHERE action = 'phone.verify'")
    const outcomes = attempts.rows.map((r) => String(r.outcome))
    // Every try is in the audit; only two were judged wrong, the third locked the session.
    expect(outcomes).toHaveLength(10)
    expect(outcomes.filter((o) => o === 'fail')).toHaveLength(2)
    await rejects(ra.verifyPhoneCode(sessionId, right), 'FORBIDDEN', 'session-locked')
  })

  it('sessions expire after 15 minutes', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    tick(15 * 60 - 1)
    await ra.sendPhoneCode(sessionId, 'sms')
    tick(2)
    await rejects(ra.sendPhoneCode(sessionId, 'sms'), 'NOT_FOUND', 'session')
  })

  it('refuses an expired code', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    await ra.sendPhoneCode(sessionId, 'sms')
    tick(181)
    await rejects(ra.verifyPhoneCode(sessionId, await lastCode()), 'FORBIDDEN', 'phone-code-expired')
  })
})

describe('security media', () => {
  it('checks card half-codes and locks the card after three wrong answers', async () => {
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'renew' })
    await rejects(ra.verifyMedium(sessionId, '1234'), 'CONFLICT', 'medium-no-challenge')
    const ch = await ra.mediumChallenge(sessionId)
    if (ch.medium !== 'card') throw new Error('expected a card challenge')
    expect(ch.slots[0]).not.toBe(ch.slots[1])
    expect(await ra.mediumChallenge(sessionId)).toEqual(ch)
    const right = expectedCardResponse(c.card as SecurityCard, ch.slots)
    const wrong = String((Number(right) + 1) % 10_000).padStart(4, '0')
    await rejects(ra.verifyMedium(sessionId, wrong), 'FORBIDDEN', 'medium')
    await rejects(ra.verifyMedium(sessionId, wrong), 'FORBIDDEN', 'medium')
    await rejects(ra.verifyMedium(sessionId, wrong), 'FORBIDDEN', 'medium-locked')
    await rejects(ra.verifyMedium(sessionId, right), 'FORBIDDEN', 'medium-locked')
    // The lock is on the customer's medium, not just this verification session.
    const other = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'renew' })
    await rejects(ra.mediumChallenge(other.sessionId), 'FORBIDDEN', 'medium-locked')
    await ra.unlockCustomer(c.customerId)
    await ra.verifyMedium(sessionId, right)
    expect((await ra.sessionState(sessionId)).mediumVerified).toBe(true)
    const attempts = await db.execute("SELECT outcome FROM audit WHERE action = 'medium.verify' ORDER BY id")
    expect(attempts.rows.map((r) => r.outcome)).toEqual(['fail', 'fail', 'locked', 'locked', 'ok'])
  })

  it('accepts a TOTP code once, with one step of drift', async () => {
    const c = await addCustomer('otp')
    expect(c.card).toBeUndefined()
    expect(await ra.otpUri(c.customerId)).toBe(c.otpUri)
    const secret = base32Decode(new URL(c.otpUri!).searchParams.get('secret')!)
    const now = () => Math.floor(clock.getTime() / 1000)
    const s1 = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'renew' })
    expect(s1.medium).toBe('otp')
    expect(await ra.mediumChallenge(s1.sessionId)).toEqual({ medium: 'otp' })
    const code = totp(secret, now() - 30)
    await ra.verifyMedium(s1.sessionId, code)
    // The same code again, in a new session, is a replay.
    const s2 = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'renew' })
    await rejects(ra.verifyMedium(s2.sessionId, code), 'FORBIDDEN', 'medium')
    tick(30)
    await ra.verifyMedium(s2.sessionId, totp(secret, now()))
  })
})

describe('enrollment codes', () => {
  it('need both checks, live for the TTL and serve one enrollment', async () => {
    const ca = new FakeCa()
    const c = await addCustomer()
    const { sessionId } = await ra.openSession({ name: '홍길동', idn: IDN, account: c.account, purpose: 'issue' })
    await rejects(ra.sessionCodes(sessionId, 'limited', ca), 'CONFLICT', 'phone-not-verified')
    const sid = await verifiedSession(c, 'issue')
    const codes = await ra.sessionCodes(sid, 'general', ca)
    expect(codes.reference).toMatch(/^\d{8}$/)
    expect(codes.authCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
    expect(codes.feeKrw).toBe(4400)
    expect(codes.expiresAt).toBe(new Date(clock.getTime() + 600_000).toISOString())
    expect(await ra.lookupEnrollment(codes.reference)).toMatchObject({ authCode: codes.authCode, customerId: c.customerId, certType: 'general', purpose: 'issue' })
    expect(await ra.lookupEnrollment('12345678')).toBeUndefined()
    tick(599)
    expect(await ra.lookupEnrollment(codes.reference)).toBeDefined()
    expect(await ra.consumeEnrollment(codes.reference)).toBe(true)
    expect(await ra.lookupEnrollment(codes.reference)).toBeUndefined()
    // A second claim fails, and both claims are audited with their outcome.
    expect(await ra.consumeEnrollment(codes.reference)).toBe(false)
    const consumed = await db.execute({ sql: "SELECT outcome, customer_id, detail FROM audit WHERE action = 'enrollment.consume' AND detail LIKE ? ORDER BY id", args: [`%${codes.reference}%`] })
    expect(consumed.rows.map((r) => [r.outcome, r.customer_id])).toEqual([
      ['ok', c.customerId],
      ['fail', null],
    ])

    const again = await ra.createEnrollmentCodes(c.customerId, 'limited', 'reissue')
    tick(601)
    expect(await ra.lookupEnrollment(again.reference)).toBeUndefined()
  })

  it('lock after three wrong MACs and are replaced by newer codes', async () => {
    const c = await addCustomer()
    const a = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    await ra.recordEnrollmentFailure(a.reference)
    await ra.recordEnrollmentFailure(a.reference)
    expect(await ra.lookupEnrollment(a.reference)).toBeDefined()
    await ra.recordEnrollmentFailure(a.reference)
    expect(await ra.lookupEnrollment(a.reference)).toBeUndefined()
    const b = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const b2 = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    expect(await ra.lookupEnrollment(b.reference)).toBeUndefined()
    expect((await ra.lookupEnrollment(b2.reference))?.authCode).toBe(b2.authCode)
    const audit = await db.execute("SELECT outcome FROM audit WHERE action = 'enrollment.mac' ORDER BY id")
    expect(audit.rows.map((r) => r.outcome)).toEqual(['fail', 'fail', 'locked'])
    expect(JSON.stringify((await db.execute('SELECT * FROM audit')).rows)).not.toContain(b2.authCode)
  })

  it('are refused for issue when a valid certificate of that type exists, and when the fee cannot be paid', async () => {
    const ca = new FakeCa()
    const c = await addCustomer('card', { balanceKrw: 1000 })
    ca.add('4a01', c.customerId, 'limited')
    const sid = await verifiedSession(c, 'issue')
    await rejects(ra.sessionCodes(sid, 'limited', ca), 'CONFLICT', 'already-issued')
    await rejects(ra.sessionCodes(sid, 'general', ca), 'CENTER', 'balance')
    const re = await verifiedSession(c, 'reissue')
    expect((await ra.sessionCodes(re, 'limited', ca)).feeKrw).toBe(0)
  })
})

describe('charge', () => {
  it('debits atomically and refuses a short balance without touching it', async () => {
    const c = await addCustomer('card', { balanceKrw: 5000 })
    await ra.charge(c.customerId, 4400, 'general certificate, 1 year')
    expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(600)
    const e = await rejects(ra.charge(c.customerId, 4400, 'general certificate, 1 year'), 'CENTER', 'balance')
    expect(e.message).toMatch(/^the account balance is too low/)
    expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(600)
    const ledger = await db.execute('SELECT amount_krw, balance_after_krw FROM ra_ledger')
    expect(ledger.rows.map((r) => [r.amount_krw, r.balance_after_krw])).toEqual([[-4400, 600]])
  })

  it('never overdraws under concurrent charges', async () => {
    const c = await addCustomer('card', { balanceKrw: 10_000 })
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => ra.charge(c.customerId, 4400, 'fee')))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2)
    expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(1200)
  })
})

describe('renewal and revocation', () => {
  it('authorizes one kur for the owner within 30 days of expiry', async () => {
    clock = new Date()
    const ca = new FakeCa()
    const c = await addCustomer()
    const near = opensslCert({ days: 10, serialHex: '4b0001' })
    const far = opensslCert({ days: 200, serialHex: '4b0002' })
    ca.add(near.serialHex, c.customerId, 'limited', near.certDer)
    ca.add(far.serialHex, c.customerId, 'general', far.certDer)
    ca.add('4b0003', 'C999999999', 'limited', near.certDer)
    const sid = await verifiedSession(c, 'renew', { phone: false })
    await rejects(ra.authorizeRenewal(sid, far.serialHex, ca), 'CONFLICT', 'renewal-window')
    await rejects(ra.authorizeRenewal(sid, '4b0003', ca), 'FORBIDDEN', 'not-owner')
    await rejects(ra.authorizeRenewal(sid, '4b00ff', ca), 'NOT_FOUND', 'cert')
    expect(await ra.isRenewalAuthorized(near.serialHex)).toBe(false)
    await ra.authorizeRenewal(sid, near.serialHex.toUpperCase(), ca)
    expect(await ra.isRenewalAuthorized(near.serialHex)).toBe(true)
    await ra.consumeRenewalAuthorization(near.serialHex)
    expect(await ra.isRenewalAuthorized(near.serialHex)).toBe(false)
    await ra.authorizeRenewal(sid, near.serialHex, ca)
    tick(601)
    expect(await ra.isRenewalAuthorized(near.serialHex)).toBe(false)
  })

  it('revokes the customer\'s own certificate through the CA', async () => {
    const ca = new FakeCa()
    const c = await addCustomer()
    ca.add('4c01', c.customerId, 'limited')
    const renewSid = await verifiedSession(c, 'renew', { phone: false })
    await rejects(ra.revoke(renewSid, '4c01', 'keyCompromise', ca), 'CONFLICT', 'purpose')
    const sid = await verifiedSession(c, 'revoke')
    await rejects(ra.revoke(sid, '4c01', 'bogus', ca), 'BAD_REQUEST')
    await ra.revoke(sid, '4c01', 'keyCompromise', ca)
    expect(ca.revoked).toEqual([{ serialHex: '4c01', reason: 1 }])
    await rejects(ra.revoke(sid, '4c01', 5, ca), 'CONFLICT', 'revoked')
  })
})

describe('registering another CA\'s certificate', () => {
  const randomNum = new Uint8Array(Buffer.from('7858b4328390805129f01c97fe6ca4a520cbd479', 'hex'))
  // Stands in for yessign's issuing CA: same name, our own key; the operator puts it on the trust list.
  const YESSIGN_DN = '/C=kr/O=yessign/OU=AccreditedCA/CN=yessignCA-Test Class 4'
  let yessign: TestCa
  beforeAll(() => {
    yessign = opensslCa({ subject: YESSIGN_DN })
  })
  beforeEach(async () => {
    await ra.addTrustedCa(yessign.certDer)
  })

  async function tryRegister(c: CreatedCustomer, cert: TestCert): Promise<unknown> {
    const sid = await verifiedSession(c, 'register')
    const { challenge } = await ra.registerChallenge(sid)
    const signature = new Uint8Array(sign('sha256', registrationSignedData(Buffer.from(challenge, 'base64')), cert.keyPem))
    return ra.registerForeignCert(sid, { certDer: cert.certDer, signature, randomNum })
  }

  it('links the certificate after the signature and VID checks (openssl-made cert)', async () => {
    clock = new Date()
    const c = await addCustomer()
    const cert = opensslCert({ days: 100, serialHex: '5d0001', vid: { realName: 'HONG GILDONG', idn: IDN, randomNum }, rsa: true, issuer: yessign })
    const sid = await verifiedSession(c, 'register')
    const { challenge } = await ra.registerChallenge(sid)
    const signature = new Uint8Array(sign('sha256', registrationSignedData(Buffer.from(challenge, 'base64')), cert.keyPem))
    const out = await ra.registerForeignCert(sid, { certDer: cert.certDer, signature, randomNum })
    expect(out.serialHex).toBe('5d0001')
    expect(await ra.foreignCerts(c.customerId)).toEqual([expect.objectContaining({ serialHex: '5d0001' })])
  })

  it('refuses a wrong randomNum, a wrong signature, a reused challenge, and locks after three tries', async () => {
    clock = new Date()
    const c = await addCustomer()
    const cert = opensslCert({ days: 100, serialHex: '5d0002', vid: { realName: 'HONG GILDONG', idn: IDN, randomNum }, issuer: yessign })
    const sid = await verifiedSession(c, 'register')
    const { challenge } = await ra.registerChallenge(sid)
    const sig = (ch: string) => new Uint8Array(sign('sha256', registrationSignedData(Buffer.from(ch, 'base64')), cert.keyPem))
    const wrongRandom = randomNum.slice()
    wrongRandom[0] = (wrongRandom[0] ?? 0) ^ 1
    await rejects(ra.registerForeignCert(sid, { certDer: cert.certDer, signature: sig(challenge), randomNum: wrongRandom }), 'FORBIDDEN', 'vid')
    await rejects(ra.registerForeignCert(sid, { certDer: cert.certDer, signature: sig(challenge), randomNum }), 'CONFLICT', 'challenge')
    // A fresh challenge, but the signature is over something else.
    await ra.registerChallenge(sid)
    await rejects(ra.registerForeignCert(sid, { certDer: cert.certDer, signature: sig(Buffer.from('other').toString('base64')), randomNum }), 'FORBIDDEN', 'signature')
    await rejects(ra.registerChallenge(sid), 'FORBIDDEN', 'session-locked')
    expect(await ra.foreignCerts(c.customerId)).toEqual([])
  })

  it('refuses a certificate without identity data', async () => {
    clock = new Date()
    const c = await addCustomer()
    const cert = opensslCert({ days: 100, serialHex: '5d0003', issuer: yessign })
    const sid = await verifiedSession(c, 'register')
    const { challenge } = await ra.registerChallenge(sid)
    const signature = new Uint8Array(sign('sha256', registrationSignedData(Buffer.from(challenge, 'base64')), cert.keyPem))
    await rejects(ra.registerForeignCert(sid, { certDer: cert.certDer, signature, randomNum }), 'UNSUPPORTED', 'no-vid')
  })

  it("forged issuer: a self-made certificate with yessign's issuer name and a real serial is refused, and the real holder still registers", async () => {
    clock = new Date()
    const victim = await addCustomer()
    const attacker = await addCustomer('card', { idn: '8001011234567', account: '220000000000' })
    const real = opensslCert({ days: 100, serialHex: '5d0010', vid: { realName: 'HONG GILDONG', idn: IDN, randomNum }, issuer: yessign })
    // The forger's own "yessign" CA: the same name, another key; the certificate carries the forger's identity.
    const fakeCa = opensslCa({ subject: YESSIGN_DN })
    const forged = opensslCert({ days: 100, serialHex: '5d0010', vid: { realName: 'KIM', idn: '8001011234567', randomNum }, issuer: fakeCa })
    expect(new X509Certificate(forged.certDer).issuer).toBe(new X509Certificate(real.certDer).issuer)
    const attackerSession = async () => {
      const { sessionId } = await ra.openSession({ name: '홍길동', idn: '8001011234567', account: attacker.account, purpose: 'register' })
      await ra.sendPhoneCode(sessionId, 'sms')
      await ra.verifyPhoneCode(sessionId, await lastCode())
      const ch = await ra.mediumChallenge(sessionId)
      if (ch.medium === 'card') await ra.verifyMedium(sessionId, expectedCardResponse(attacker.card as SecurityCard, ch.slots))
      return sessionId
    }
    const sid = await attackerSession()
    const { challenge } = await ra.registerChallenge(sid)
    const signature = new Uint8Array(sign('sha256', registrationSignedData(Buffer.from(challenge, 'base64')), forged.keyPem))
    const e = await rejects(ra.registerForeignCert(sid, { certDer: forged.certDer, signature, randomNum }), 'FORBIDDEN', 'untrusted-issuer')
    expect(e.message).toBe('the certificate was not issued by a certification authority this center trusts')
    // A plain self-signed certificate with the name is refused the same way.
    const selfSigned = opensslCert({ days: 100, serialHex: '5d0010', vid: { realName: 'KIM', idn: '8001011234567', randomNum } })
    await rejects(tryRegister(attacker, selfSigned).catch((err: unknown) => Promise.reject(err)), 'FORBIDDEN')
    expect(await ra.foreignCerts(attacker.customerId)).toEqual([])
    // The real holder is not locked out by a CONFLICT.
    expect(await tryRegister(victim, real)).toEqual(expect.objectContaining({ serialHex: '5d0010' }))
  })

  it('checks the issuer: not on the list, expired, a CA certificate, the wrong key usage', async () => {
    clock = new Date()
    const c = await addCustomer()
    const other = opensslCa({ subject: '/C=KR/O=KICA/CN=signGATE Test CA' })
    await rejects(tryRegister(c, opensslCert({ days: 100, serialHex: '5d0020', vid: { realName: 'HONG', idn: IDN, randomNum }, issuer: other })), 'FORBIDDEN', 'untrusted-issuer')
    await rejects(tryRegister(c, opensslCert({ days: 100, serialHex: '5d0021', vid: { realName: 'HONG', idn: IDN, randomNum }, issuer: yessign, keyUsage: 'keyEncipherment' })), 'FORBIDDEN', 'foreign-key-usage')
    // An issuing CA whose own certificate is past its end.
    const shortLived = opensslCa({ subject: '/C=kr/O=yessign/CN=short lived CA', days: 1 })
    await ra.addTrustedCa(shortLived.certDer)
    const late = opensslCert({ days: 100, serialHex: '5d0022', vid: { realName: 'HONG', idn: IDN, randomNum }, issuer: shortLived })
    clock = new Date(Date.now() + 2 * 86_400_000)
    await rejects(tryRegister(c, late), 'FORBIDDEN', 'foreign-issuer-expired')
    expect(await ra.foreignCerts(c.customerId)).toEqual([])
  })

  it('keeps a trust list of CA certificates only', async () => {
    clock = new Date()
    const list = await ra.listTrustedCas()
    expect(list).toHaveLength(1)
    expect(list[0]?.subject).toContain('yessignCA-Test Class 4')
    const leaf = opensslCert({ days: 10, serialHex: '01' })
    await rejects(ra.addTrustedCa(leaf.certDer), 'BAD_REQUEST', 'not-ca')
    // A CA certificate that may not sign certificates (no keyCertSign) is no CA to trust either.
    await rejects(ra.addTrustedCa(opensslCa({ subject: '/CN=no signing', keyUsage: 'digitalSignature' }).certDer), 'BAD_REQUEST')
    // Adding again changes nothing; removing by fingerprint (colons allowed) takes it off.
    await ra.addTrustedCa(yessign.certDer)
    expect(await ra.listTrustedCas()).toHaveLength(1)
    const fp = list[0]!.fingerprint.match(/../g)!.join(':').toUpperCase()
    await ra.removeTrustedCa(fp)
    expect(await ra.listTrustedCas()).toEqual([])
    await rejects(ra.removeTrustedCa(fp), 'NOT_FOUND')
  })
})
