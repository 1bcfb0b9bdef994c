import { createHash, generateKeyPairSync, randomBytes, verify, X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@libsql/client'
import { OID } from '../../shared/cmp/asn1'
import {
  buildGenmBody,
  buildHeader,
  buildMessage,
  decodePKIMessage,
  directoryName,
  encodePKIMessage,
  failInfoNames,
  hasImplicitConfirm,
  newNonce,
  signatureProtectionInput,
  verifyPbmProtection,
} from '../../shared/cmp/messages'
import { parsePbmAlgorithm, pbmAlgorithm } from '../../shared/cmp/pbm'
import { verifyVid } from '../../core/formats/vid'
import { CertError } from '../../shared/errors'
import { Ca } from '../ca/ca'
import { resolveConfig } from '../config'
import { openCenterDb } from '../db'
import { Ra } from '../ra/ra'
import type { RaPort } from './ra-port'
import { CmpService, ENROLLMENT_AUTH_FAILED } from './service'
import { buildCertConfMessage, buildIrMessage, parseResponse } from './test-client'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

const FIXTURES = resolve(import.meta.dirname, '../..', '../shared/fixtures/cmp')

function rsaKey() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { spkiDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), privateKey }
}

/** DER(SEQUENCE { PrintableString idn, BIT STRING randomNum }) hashed twice, built by hand. */
function expectedVid(idn: string, randomNum: Uint8Array): Buffer {
  const inner = Buffer.concat([Buffer.from([0x13, idn.length]), Buffer.from(idn, 'latin1'), Buffer.from([0x03, randomNum.length + 1, 0]), Buffer.from(randomNum)])
  const der = Buffer.concat([Buffer.from([0x30, inner.length]), inner])
  return createHash('sha256').update(createHash('sha256').update(der).digest()).digest()
}

describe('CmpService', () => {
  let dir: string
  let db: Client
  let ca: Ca
  let ra: Ra
  let cmp: CmpService
  let store: TestStore
  const config = resolveConfig({ renewalRequiresRa: false })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'center-cmp-'))
    store = await freshStore()
    db = await openCenterDb(dir, { dbUrl: store.dbUrl })
    ca = await Ca.open(db, dir, config)
    ra = new Ra(db, { outboxDir: dir, keyDir: dir, fees: config.feesKrw })
    cmp = new CmpService(db, ca, ra, config)
  })
  afterAll(async () => {
    db.close()
    await store.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  let seq = 0
  async function customer(balanceKrw = 10_000) {
    seq++
    const idn = `85010${seq}1234567`.slice(0, 13)
    const { customerId } = await ra.createCustomer({ name: `고객${seq}`, idn, phone: `0101234${String(seq).padStart(4, '0')}`, balanceKrw })
    return { customerId, idn, name: `고객${seq}` }
  }

  it('issues for an empty subject with a publicKeyMAC POPO, puts the VID in, and activates only on certConf', async () => {
    const c = await customer()
    const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const key = rsaKey()
    const randomNum = new Uint8Array(randomBytes(20))
    const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...key, randomNum })
    const ip = parseResponse(await cmp.handle(ir.der))
    expect(ip.type).toBe('ip')
    const certDer = ip.certDer!
    const vid = expectedVid(c.idn, randomNum)
    // [0] EXPLICIT OCTET STRING (32) holding the VID, and the realName as UTF8String
    expect(Buffer.from(certDer).includes(Buffer.concat([Buffer.from([0xa0, 0x22, 0x04, 0x20]), vid]))).toBe(true)
    const nameUtf8 = Buffer.from(c.name, 'utf8')
    expect(Buffer.from(certDer).includes(Buffer.concat([Buffer.from([0x0c, nameUtf8.length]), nameUtf8]))).toBe(true)
    expect(verifyVid(certDer, randomNum, c.idn)).toBe('match')
    expect(await ca.findActiveCert(c.customerId, 'limited')).toBeUndefined()
    const conf = buildCertConfMessage({ reference: codes.reference, secret: codes.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer })
    expect(parseResponse(await cmp.handle(conf.der)).type).toBe('pkiconf')
    expect((await ca.findActiveCert(c.customerId, 'limited'))?.certDer).toEqual(certDer)
    // The same certConf again is a replay.
    expect(parseResponse(await cmp.handle(conf.der)).error).toMatch(/no certificate of this transaction|already/)
  })

  it('grants implicitConfirm and activates at once', async () => {
    const c = await customer()
    const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey(), implicitConfirm: true })
    const der = await cmp.handle(ir.der)
    expect(hasImplicitConfirm(decodePKIMessage(der).header)).toBe(true)
    expect(await ca.findActiveCert(c.customerId, 'limited')).toBeDefined()
  })

  it('an implicitConfirm reissue supersedes the old certificate in the same commit and republishes the CRL', async () => {
    const c = await customer()
    const first = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const ir1 = await buildIrMessage({ reference: first.reference, secret: first.authCode, ...rsaKey(), implicitConfirm: true })
    expect(parseResponse(await cmp.handle(ir1.der)).type).toBe('ip')
    const old = await ca.findActiveCert(c.customerId, 'limited')
    expect(old).toBeDefined()
    const again = await ra.createEnrollmentCodes(c.customerId, 'limited', 'reissue')
    const ir2 = await buildIrMessage({ reference: again.reference, secret: again.authCode, ...rsaKey(), implicitConfirm: true })
    const ip2 = parseResponse(await cmp.handle(ir2.der))
    expect(ip2.type).toBe('ip')
    expect((await ca.findActiveCert(c.customerId, 'limited'))?.certDer).toEqual(ip2.certDer)
    expect((await ca.certBySerial(old!.serialHex))?.status).toBe('revoked')
    expect(Buffer.from(await ca.crlDer()).includes(Buffer.from(old!.serialHex, 'hex'))).toBe(true)
    const tx = await db.execute({ sql: 'SELECT state, last_nonce FROM cmp_transactions WHERE transaction_id = ?', args: [Buffer.from(ir2.transactionID).toString('hex')] })
    expect(tx.rows[0]?.state).toBe('done')
    expect(tx.rows[0]?.last_nonce).toBe(Buffer.from(ip2.senderNonce!).toString('hex'))
  })

  it('rejects a wrong certHash and never activates that certificate', async () => {
    const c = await customer()
    const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey() })
    const ip = parseResponse(await cmp.handle(ir.der))
    const wrong = new Uint8Array(ip.certDer!)
    wrong[wrong.length - 1]! ^= 1
    const conf = buildCertConfMessage({ reference: codes.reference, secret: codes.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer: wrong })
    expect(parseResponse(await cmp.handle(conf.der)).error).toContain('certHash does not match')
    expect(await ca.findActiveCert(c.customerId, 'limited')).toBeUndefined()
  })

  it('counts wrong MACs and locks the reference', async () => {
    const c = await customer()
    const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const key = rsaKey()
    for (let i = 0; i < 3; i++) {
      const bad = await buildIrMessage({ reference: codes.reference, secret: 'WRONG-WRONG-WRON', ...key })
      expect(parseResponse(await cmp.handle(bad.der)).error).toContain('wrong pbm value')
    }
    const good = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...key })
    expect(parseResponse(await cmp.handle(good.der)).error).toContain('unknown, expired, used or locked reference number')
  })

  it('enforces the PBM iteration ceiling before computing anything', async () => {
    const c = await customer()
    const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
    const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey() })
    // Rewrite the announced iteration count without computing the (hostile) MAC.
    const m = decodePKIMessage(ir.der)
    const param = parsePbmAlgorithm(m.header.protectionAlg)
    param.iterationCount = 10_000_000
    m.header.protectionAlg = pbmAlgorithm(param)
    m.headerRaw = undefined
    m.bodyRaw = undefined
    const t = Date.now()
    expect(parseResponse(await cmp.handle(encodePKIMessage(m))).error).toContain('iteration count')
    expect(Date.now() - t).toBeLessThan(3000)
  })

  it('refuses a replayed senderNonce in a new transaction', async () => {
    const c = await customer()
    const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'reissue')
    const a = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey(), implicitConfirm: true })
    // Same bytes except the transactionID: re-protect a copy with a fresh transactionID but the old nonce.
    const m = decodePKIMessage(a.der)
    expect(parseResponse(await cmp.handle(a.der)).type).toBe('ip')
    const { buildHeader, buildMessage, protectWithPbm, directoryName, newNonce } = await import('../../shared/cmp/messages')
    const header = buildHeader({ sender: directoryName(), recipient: directoryName(), senderKID: codes.reference, transactionID: newNonce(), senderNonce: a.senderNonce })
    const codes2 = await ra.createEnrollmentCodes(c.customerId, 'limited', 'reissue')
    header.senderKID = new TextEncoder().encode(codes2.reference).slice().buffer
    const replay = encodePKIMessage(protectWithPbm(buildMessage(header, m.body), codes2.authCode))
    expect(parseResponse(await cmp.handle(replay)).error).toContain('senderNonce already used')
  })

  it('refuses a general certificate when the balance cannot pay the fee, leaving the reference usable', async () => {
    const c = await customer(1000)
    const codes = await ra.createEnrollmentCodes(c.customerId, 'general', 'issue')
    const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey() })
    expect(parseResponse(await cmp.handle(ir.der)).error).toContain('insufficient account balance')
    expect(await ra.lookupEnrollment(codes.reference)).toBeDefined()
  })

  it('refuses oversized and non-CMP input without a PKIMessage (the HTTP layer answers 400/413)', async () => {
    await expect(cmp.handle(new Uint8Array(config.maxMessageBytes + 1))).rejects.toThrow(/too large/)
    await expect(cmp.handle(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).rejects.toThrow()
  })

  it("accepts openssl's captured ir (subject given, hmac-sha1) and decides the DN itself", async () => {
    const stub: RaPort = {
      enrollmentQuery: (ref) => ({
        statement: { sql: 'SELECT 1', args: [] },
        read: async () => (ref === '30781234' ? { authCode: '1234-5678-abcd', customerId: 'fx', certType: 'limited', purpose: 'issue' } : undefined),
      }),
      recordEnrollmentFailure: async () => {},
      enrollmentSpending: () => [],
      enrollmentClaimRefused: async () => {},
      chargeRefused: async () => new Error('no fee in this test'),
      releaseEnrollment: async () => {},
      enrollmentSecret: async (ref) => (ref === '30781234' ? '1234-5678-abcd' : undefined),
      getCustomer: async () => ({ id: 'fx', name: '픽스처', idn: '7001011234567', phone: '0', bankCode: 'FIXTURE' }),
      charge: async () => {},
      isRenewalAuthorized: async () => false,
      consumeRenewalAuthorization: async () => {},
      refund: async () => {},
      restoreRenewalAuthorization: async () => {},
    }
    const svc = new CmpService(db, ca, stub, config)
    const ip = parseResponse(await svc.handle(new Uint8Array(readFileSync(join(FIXTURES, 'ir.der')))))
    expect(ip.type).toBe('ip')
    expect(Buffer.from(ip.certDer!).includes(Buffer.from('OU=FIXTURE'.slice(3)))).toBe(true)
    // Without a subject (NULL-DN sender, POPO over certReq) the center still issues: it decides the DN.
    const nullSender = parseResponse(await svc.handle(new Uint8Array(readFileSync(join(FIXTURES, 'ir_nullsender.der')))))
    expect(nullSender.type).toBe('ip')
    // raVerified from an end entity is refused.
    const raVerified = parseResponse(await svc.handle(new Uint8Array(readFileSync(join(FIXTURES, 'ir_nullsender_raverified.der')))))
    expect(raVerified.error).toContain('raVerified is not accepted')
    const cp = parseResponse(await svc.handle(new Uint8Array(readFileSync(join(FIXTURES, 'p10cr.der')))))
    expect(cp.type).toBe('cp')
    // kur signed by a certificate another CA issued is refused.
    const kup = parseResponse(await svc.handle(new Uint8Array(readFileSync(join(FIXTURES, 'kur.der')))))
    expect(kup.error).toContain('not issued by this CA')
  })

  it('answers mutated messages with a PKIMessage or a clean 400-class refusal, never an internal error', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.der')).map((f) => new Uint8Array(readFileSync(join(FIXTURES, f))))
    let state = 0x12345678
    const rnd = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      return state % n
    }
    for (let i = 0; i < 400; i++) {
      const m = files[i % files.length]!.slice()
      for (let j = 0, n = 1 + rnd(4); j < n; j++) m[rnd(m.length)] = rnd(256)
      let der: Uint8Array | undefined
      try {
        der = await cmp.handle(m)
      } catch (err) {
        expect(err).toBeInstanceOf(CertError)
        expect(['BAD_REQUEST', 'DAMAGED']).toContain((err as CertError).code)
        continue
      }
      expect(parseResponse(der).error ?? '').not.toContain('internal error')
    }
  })

  describe('answers that reveal nothing', () => {
    /** The whole refusal as the client sees it, and how it is protected. */
    function refusal(der: Uint8Array) {
      const m = decodePKIMessage(der)
      expect(m.body.error).toBeDefined()
      const status = m.body.error!.pKIStatusInfo
      return { text: parseResponse(der).error, failInfo: failInfoNames(status.failInfo), protection: m.header.protectionAlg?.algorithm, message: m }
    }

    it('reference enumeration and MAC oracle: an unknown reference and a wrong code get one answer, signed by the CA, never MACed with the real code', async () => {
      const c = await customer()
      const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
      const key = rsaKey()
      const wrong = refusal(await cmp.handle((await buildIrMessage({ reference: codes.reference, secret: 'WRONG-WRONG-WRON', ...key })).der, { source: 'enum-a' }))
      const unknownRef = codes.reference === '12345678' ? '12345679' : '12345678'
      const unknown = refusal(await cmp.handle((await buildIrMessage({ reference: unknownRef, secret: 'WRONG-WRONG-WRON', ...key })).der, { source: 'enum-b' }))
      expect(wrong.text).toBe(ENROLLMENT_AUTH_FAILED)
      expect(unknown.text).toBe(wrong.text)
      expect(unknown.failInfo).toEqual(wrong.failInfo)
      expect(unknown.protection).toBe(wrong.protection)
      // Not a MAC under the real authorization code (which a guesser could test offline), but the CA's signature.
      expect(wrong.protection).not.toBe(OID.passwordBasedMac)
      expect(() => verifyPbmProtection(wrong.message, codes.authCode, { minIterations: 1, maxIterations: 100_000 })).toThrow()
      const sig = signatureProtectionInput(wrong.message)
      expect(verify('sha256', sig.data, new X509Certificate(ca.caCertDer()).publicKey, sig.signature)).toBe(true)
      // The right code still works (one wrong try of three).
      expect(parseResponse(await cmp.handle((await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...key, implicitConfirm: true })).der, { source: 'enum-c' })).type).toBe('ip')
    })

    it('reference guessing: a source that keeps failing is made to wait, others are not', async () => {
      const c = await customer()
      const codes = await ra.createEnrollmentCodes(c.customerId, 'limited', 'issue')
      const key = rsaKey()
      for (let i = 0; i < 10; i++) {
        const guess = String(10_000_000 + i)
        const r = refusal(await cmp.handle((await buildIrMessage({ reference: guess, secret: 'AAAA-BBBB-CCCC', ...key })).der, { source: 'guesser' }))
        expect(r.text).toBe(ENROLLMENT_AUTH_FAILED)
      }
      const blocked = await cmp.handle((await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...key })).der, { source: 'guesser' })
      expect(parseResponse(blocked).error).toContain('too many failed attempts')
      // The waiting source learnt nothing and spent nothing: the reference is untouched for its owner.
      const own = await cmp.handle((await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...key, implicitConfirm: true })).der, { source: 'owner' })
      expect(parseResponse(own).type).toBe('ip')
    })

    it('unprotected genm stores nothing', async () => {
      const count = async () => {
        const a = await db.execute('SELECT count(*) AS n FROM cmp_transactions')
        const b = await db.execute('SELECT count(*) AS n FROM cmp_nonces')
        return [Number(a.rows[0]?.n), Number(b.rows[0]?.n)]
      }
      const before = await count()
      for (let i = 0; i < 20; i++) {
        const header = buildHeader({ sender: directoryName(), recipient: directoryName(), transactionID: newNonce(), senderNonce: newNonce() })
        const genp = decodePKIMessage(await cmp.handle(encodePKIMessage(buildMessage(header, buildGenmBody()))))
        expect(genp.body.genp?.[0]?.infoType).toBe(OID.itCaCerts)
      }
      expect(await count()).toEqual(before)
    })
  })

  describe('a transaction lifecycle with an end', () => {
    it('fee never refunded for an unconfirmed certificate: past the deadline it is revoked, the fee comes back and certConf is refused', async () => {
      let clock = Date.now()
      const timed = new CmpService(db, ca, ra, config, { now: () => clock })
      const c = await customer(10_000)
      const codes = await ra.createEnrollmentCodes(c.customerId, 'general', 'issue')
      const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey() })
      const ip = parseResponse(await timed.handle(ir.der, { source: 'lifecycle' }))
      expect(ip.type).toBe('ip')
      const serial = new X509Certificate(ip.certDer!).serialNumber.toLowerCase().replace(/^(00)+/, '')
      expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(10_000 - 4400)
      expect((await ca.certBySerial(serial))?.status).toBe('pending')
      // Within the deadline (15 minutes by default) nothing happens.
      expect(config.transactionTtlSeconds).toBe(15 * 60)
      clock += 14 * 60_000
      expect(await timed.expireUnconfirmed()).toBe(0)
      expect((await ca.certBySerial(serial))?.status).toBe('pending')
      clock += 60_000 + 1000
      // Any request lets the process sweep; the certConf that comes too late finds its transaction over.
      const conf = buildCertConfMessage({ reference: codes.reference, secret: codes.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer: ip.certDer! })
      expect(parseResponse(await timed.handle(conf.der, { source: 'lifecycle' })).error).toMatch(/no certificate of this transaction|expired/)
      expect((await ca.certBySerial(serial))?.status).toBe('revoked')
      expect(await ca.findActiveCert(c.customerId, 'general')).toBeUndefined()
      expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(10_000)
      const ledger = await db.execute({ sql: 'SELECT amount_krw, memo FROM ra_ledger WHERE customer_id = ? ORDER BY id', args: [c.customerId] })
      expect(ledger.rows.map((r) => Number(r.amount_krw))).toEqual([-4400, 4400])
      expect(String(ledger.rows[1]?.memo)).toContain('not confirmed in time')
      // Swept once only, however often it runs.
      expect(await timed.expireUnconfirmed()).toBe(0)
      expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(10_000)
    })

    it('charges a confirmed certificate once and never refunds it', async () => {
      let clock = Date.now()
      const timed = new CmpService(db, ca, ra, config, { now: () => clock })
      const c = await customer(10_000)
      const codes = await ra.createEnrollmentCodes(c.customerId, 'general', 'issue')
      const ir = await buildIrMessage({ reference: codes.reference, secret: codes.authCode, ...rsaKey() })
      const ip = parseResponse(await timed.handle(ir.der, { source: 'lifecycle' }))
      clock += 10 * 60_000
      const conf = buildCertConfMessage({ reference: codes.reference, secret: codes.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer: ip.certDer! })
      expect(parseResponse(await timed.handle(conf.der, { source: 'lifecycle' })).type).toBe('pkiconf')
      clock += 60 * 60_000
      expect(await timed.expireUnconfirmed()).toBe(0)
      expect((await ca.findActiveCert(c.customerId, 'general'))?.certDer).toEqual(ip.certDer)
      expect((await ra.accounts(c.customerId))[0]?.balanceKrw).toBe(10_000 - 4400)
    })
  })
})
