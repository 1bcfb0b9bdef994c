import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CertError } from '../errors'
import { OID, PKIStatus } from './asn1'
import {
  buildCertConfBody,
  buildCertReqMsg,
  buildCertRequest,
  buildErrorBody,
  buildHeader,
  buildIrBody,
  buildMessage,
  buildPollRepBody,
  buildReplyHeader,
  buildRrBody,
  bytes,
  certConfHash,
  decodePKIMessage,
  encodePKIMessage,
  errorText,
  extraCertsDer,
  failInfoNames,
  getOldCertId,
  getRandomNumRegInfo,
  hasImplicitConfirm,
  issuedCertDer,
  makeFailInfo,
  parseCertificateDer,
  popoCheck,
  protectWithPbm,
  protectWithSignature,
  revocationReason,
  serialToHex,
  setRandomNumRegInfo,
  sha256WithRsaAlgorithm,
  signatureProtectionInput,
  statusInfo,
  verifyPbmProtection,
  verifyPublicKeyMac,
} from './messages'
import { computePbm, newPbmParameter, parsePbmAlgorithm, verifyPbm } from './pbm'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/cmp')
const SECRET = '1234-5678-abcd'
const read = (f: string) => new Uint8Array(readFileSync(resolve(FIX, f)))
const msg = (f: string) => decodePKIMessage(read(f))
const DER_FILES = readdirSync(FIX).filter((f) => f.endsWith('.der'))

const NODE_SIG_HASH: Record<string, string> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.ecdsaWithSHA256]: 'sha256',
}

function verifyWithCert(certDer: Uint8Array, algorithm: string, data: Uint8Array, signature: Uint8Array): boolean {
  const key = new X509Certificate(certDer).publicKey
  return nodeVerify(NODE_SIG_HASH[algorithm] ?? null, data, key, signature)
}

describe('fixtures', () => {
  it('has the captured messages', () => {
    expect(DER_FILES.length).toBeGreaterThanOrEqual(24)
  })

  it.each(DER_FILES)('%s decodes and re-encodes byte-identical', (f) => {
    const der = read(f)
    const m = decodePKIMessage(der)
    expect(Buffer.from(encodePKIMessage(m)).equals(Buffer.from(der))).toBe(true)
  })

  const pbmFiles = DER_FILES.filter((f) => msg(f).header.protectionAlg?.algorithm === OID.passwordBasedMac)

  it('finds the PBM-protected fixtures', () => {
    expect(pbmFiles).toEqual(expect.arrayContaining(['ir.der', 'ip.der', 'ir_certConf.der', 'ir_pkiConf.der', 'ir_hmacsha256.der', 'p10cr.der', 'error_badsecret.der']))
  })

  it.each(pbmFiles)('%s MAC recomputes with the secret (and fails with another)', (f) => {
    const m = msg(f)
    expect(verifyPbmProtection(m, SECRET)).toBe(true)
    expect(verifyPbmProtection(m, '1234-5678-abce')).toBe(false)
  })

  it('uses both hmac-sha1 and hmacWithSHA256 across the fixtures', () => {
    expect(parsePbmAlgorithm(msg('ir.der').header.protectionAlg).mac.algorithm).toBe(OID.hmacSha1)
    expect(parsePbmAlgorithm(msg('ir_hmacsha256.der').header.protectionAlg).mac.algorithm).toBe(OID.hmacWithSHA256)
  })

  it('error_badsecret carries its status text and failInfo', () => {
    const m = msg('error_badsecret.der')
    const e = m.body.error
    expect(e).toBeDefined()
    if (!e) return
    expect(e.pKIStatusInfo.status).toBe(PKIStatus.rejection)
    expect(failInfoNames(e.pKIStatusInfo.failInfo)).toEqual(['badRequest'])
    expect(Array.from(e.pKIStatusInfo.statusString ?? [])).toContain('wrong pbm value')
    expect(errorText(e)).toContain('wrong pbm value')
    expect(e.errorCode).toBe(0x1d00009bn)
  })

  it('ip_nullsender is a badPOP rejection', () => {
    const r = msg('ip_nullsender.der').body.ip?.response[0]
    expect(r?.status.status).toBe(PKIStatus.rejection)
    expect(failInfoNames(r?.status.failInfo)).toEqual(['badPOP'])
  })

  it.each([
    ['ir_certConf.der', 'ip.der'],
    ['ir_hmacsha256_certConf.der', 'ip_hmacsha256.der'],
    ['kur_certConf.der', 'kup.der'],
    ['p10cr_certConf.der', 'p10cr_cp.der'],
  ])('%s certHash is the SHA-256 of the certificate in %s', (conf, rep) => {
    const r = msg(rep).body
    const resp = (r.ip ?? r.kup ?? r.cp)?.response[0]
    const cert = resp && issuedCertDer(resp)
    expect(cert).toBeDefined()
    if (!cert) return
    const hash = msg(conf).body.certConf?.[0]?.certHash
    expect(Buffer.from(bytes(hash ?? new ArrayBuffer(0))).toString('hex')).toBe(createHash('sha256').update(cert).digest('hex'))
    expect(Buffer.from(certConfHash(cert)).toString('hex')).toBe(createHash('sha256').update(cert).digest('hex'))
  })

  it('ip carries caPubs and the issued certificate', () => {
    const ip = msg('ip.der').body.ip
    expect(ip?.caPubs?.length).toBe(1)
    const cert = ip?.response[0] && issuedCertDer(ip.response[0])
    expect(cert && new X509Certificate(cert).subject).toContain('Hong Gildong')
  })

  it.each(['kur.der', 'kup.der', 'rr.der', 'rp.der'])('%s signature verifies with the first extraCerts entry', (f) => {
    const m = msg(f)
    const first = extraCertsDer(m)[0]
    expect(first).toBeDefined()
    if (!first) return
    const { algorithm, data, signature } = signatureProtectionInput(m)
    expect(verifyWithCert(first, algorithm, data, signature)).toBe(true)
    const tampered = data.slice()
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1
    expect(verifyWithCert(first, algorithm, tampered, signature)).toBe(false)
  })

  it('ir POPO signature verifies over certReq DER with cl_key1', () => {
    const req = msg('ir.der').body.ir?.[0]
    expect(req).toBeDefined()
    if (!req) return
    const c = popoCheck(req)
    expect(c.kind).toBe('signature')
    if (c.kind !== 'signature') return
    const pub = createPublicKey(Buffer.from(read('cl_key1.pub.pem')))
    expect(Buffer.from(c.publicKey).equals(pub.export({ type: 'spki', format: 'der' }))).toBe(true)
    expect(nodeVerify('sha256', c.data, pub, c.signature)).toBe(true)
    expect(nodeVerify('sha256', c.data, createPublicKey(Buffer.from(read('cl_key2.pub.pem'))), c.signature)).toBe(false)
  })

  it('ir_nullsender_raverified has an raVerified POPO and no subject', () => {
    const req = msg('ir_nullsender_raverified.der').body.ir?.[0]
    expect(req && popoCheck(req).kind).toBe('raVerified')
    expect(req?.certReq.certTemplate.subject).toBeUndefined()
  })

  it('kur carries oldCertID naming rsp_cert1', () => {
    const req = msg('kur.der').body.kur?.[0]
    const id = req && getOldCertId(req.certReq)
    const old = new X509Certificate(read('rsp_cert1.pem'))
    expect(id && serialToHex(id.serialNumber).toUpperCase()).toBe(old.serialNumber.toUpperCase())
  })

  it('rr asks for reason cessationOfOperation of rsp_cert2', () => {
    const d = msg('rr.der').body.rr?.[0]
    expect(d && revocationReason(d)).toBe(5)
    const old = new X509Certificate(read('rsp_cert2.pem'))
    expect(d?.certDetails.serialNumber && serialToHex(d.certDetails.serialNumber).toUpperCase()).toBe(old.serialNumber.toUpperCase())
    expect(msg('rp.der').body.rp?.status[0]?.status).toBe(PKIStatus.accepted)
  })
})

describe('decodePKIMessage', () => {
  const ir = read('ir.der')
  const code = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      return e instanceof CertError ? e.code : 'other'
    }
    return 'none'
  }
  it('rejects empty, truncated, trailing and non-CMP input with CertError', () => {
    expect(code(() => decodePKIMessage(new Uint8Array(0)))).toBe('BAD_REQUEST')
    expect(code(() => decodePKIMessage(ir.slice(0, ir.length - 1)))).toBe('BAD_REQUEST')
    expect(code(() => decodePKIMessage(Uint8Array.from([...ir, 0])))).toBe('BAD_REQUEST')
    expect(code(() => decodePKIMessage(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x02)))).toBe('DAMAGED')
    expect(code(() => decodePKIMessage(new TextEncoder().encode('hello')))).toBe('BAD_REQUEST')
  })
  it('never throws anything but CertError on mutated fixtures', () => {
    let seed = 12345
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    let parsed = 0
    for (const f of DER_FILES) {
      const orig = read(f)
      for (let i = 0; i < 60; i++) {
        const m = orig.slice()
        for (let j = 0; j < 1 + rnd(3); j++) m[rnd(m.length)] = rnd(256)
        const c = code(() => decodePKIMessage(m))
        expect(['none', 'BAD_REQUEST', 'DAMAGED']).toContain(c)
        if (c === 'none') parsed++
      }
    }
    // most single-byte changes land in values (nonces, signatures) and still parse
    expect(parsed).toBeGreaterThan(0)
  })

  it('rejects a flipped tag inside the body', () => {
    const bad = ir.slice()
    bad[264] = 0xbf // body [0] -> an unknown high tag form
    expect(['BAD_REQUEST', 'DAMAGED']).toContain(code(() => decodePKIMessage(bad)))
  })
})

describe('pbm', () => {
  it('enforces the iteration bounds', () => {
    const p = newPbmParameter({ iterations: 50 })
    expect(() => computePbm(p, SECRET, new Uint8Array(1))).toThrow(CertError)
    const q = newPbmParameter({ iterations: 200_000 })
    expect(() => computePbm(q, SECRET, new Uint8Array(1))).toThrow(/iteration/)
  })
  it('accepts sha512/hmacWithSHA512 and rejects an unknown owf', () => {
    const p = newPbmParameter({ owf: 'sha512', mac: 'hmacWithSHA512', iterations: 100 })
    const mac = computePbm(p, SECRET, Uint8Array.of(1, 2, 3))
    expect(mac.length).toBe(64)
    expect(verifyPbm(p, SECRET, Uint8Array.of(1, 2, 3), mac)).toBe(true)
    expect(verifyPbm(p, SECRET, Uint8Array.of(1, 2, 4), mac)).toBe(false)
    p.owf.algorithm = '1.2.3.4'
    expect(() => computePbm(p, SECRET, Uint8Array.of(1))).toThrow(/one-way/)
  })
})

describe('builders', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  const signer = (d: Uint8Array) => new Uint8Array(nodeSign('sha256', d, privateKey))
  const randomNum = Uint8Array.from({ length: 20 }, (_, i) => i + 1)

  it('builds an ir with empty subject, PBM, randomNum and implicitConfirm that our decoder verifies', async () => {
    const req = buildCertRequest({ publicKey: spki })
    const crm = await buildCertReqMsg(req, signer, { pbmSecret: SECRET, randomNum })
    const header = buildHeader({ senderKID: '30781234', implicitConfirm: true, recipient: parseCertificateDer(new Uint8Array(new X509Certificate(read('ca.crt')).raw)).tbsCertificate.subject })
    const m = protectWithPbm(buildMessage(header, buildIrBody([crm])), SECRET, { mac: 'hmacWithSHA256' })
    const back = decodePKIMessage(encodePKIMessage(m))
    expect(verifyPbmProtection(back, SECRET)).toBe(true)
    expect(verifyPbmProtection(back, 'x')).toBe(false)
    expect(hasImplicitConfirm(back.header)).toBe(true)
    expect(new TextDecoder().decode(bytes(back.header.senderKID ?? new ArrayBuffer(0)))).toBe('30781234')
    const r = back.body.ir?.[0]
    expect(r).toBeDefined()
    if (!r) return
    expect(getRandomNumRegInfo(r)).toEqual(randomNum)
    expect(r.certReq.certTemplate.subject).toBeUndefined()
    const c = popoCheck(r)
    expect(c.kind).toBe('signature')
    if (c.kind !== 'signature' || !c.input) throw new Error('expected poposkInput')
    expect(nodeVerify('sha256', c.data, publicKey, c.signature)).toBe(true)
    expect(verifyPublicKeyMac(c.input, SECRET)).toBe(true)
    expect(verifyPublicKeyMac(c.input, 'wrong')).toBe(false)
  })

  it('signs over certReq when a subject is given', async () => {
    const subject = parseCertificateDer(new Uint8Array(new X509Certificate(read('rsp_cert1.pem')).raw)).tbsCertificate.subject
    const req = buildCertRequest({ publicKey: spki, subject, oldCert: new Uint8Array(new X509Certificate(read('rsp_cert1.pem')).raw) })
    const crm = await buildCertReqMsg(req, signer)
    const m = buildMessage(buildHeader(), buildIrBody([crm]))
    const back = decodePKIMessage(encodePKIMessage(m)).body.ir?.[0]
    const c = back && popoCheck(back)
    expect(c?.kind).toBe('signature')
    if (c?.kind !== 'signature') return
    expect(c.input).toBeUndefined()
    expect(nodeVerify('sha256', c.data, publicKey, c.signature)).toBe(true)
    expect(back && getOldCertId(back.certReq)).toBeDefined()
  })

  it('setRandomNumRegInfo writes the exact BIT STRING and rejects a wrong length', async () => {
    const crm = await buildCertReqMsg(buildCertRequest({ publicKey: spki }), signer, { pbmSecret: SECRET })
    setRandomNumRegInfo(crm, randomNum)
    const v = crm.regInfo?.[0]
    expect(v?.type).toBe('1.2.410.200004.10.1.1.3')
    expect(Buffer.from(bytes(v?.value ?? new ArrayBuffer(0))).toString('hex')).toBe('031500' + Buffer.from(randomNum).toString('hex'))
    expect(() => setRandomNumRegInfo(crm, new Uint8Array(19))).toThrow(CertError)
  })

  it('signature protection and reply headers', async () => {
    const cert = new Uint8Array(new X509Certificate(read('rsp_cert1.pem')).raw)
    const req = buildMessage(buildHeader(), buildRrBody(cert, 5))
    await protectWithSignature(req, sha256WithRsaAlgorithm(), signer, [cert])
    const back = decodePKIMessage(encodePKIMessage(req))
    const { data, signature } = signatureProtectionInput(back)
    expect(nodeVerify('sha256', data, publicKey, signature)).toBe(true)
    expect(back.body.rr?.[0] && revocationReason(back.body.rr[0])).toBe(5)
    const reply = buildReplyHeader(back.header)
    expect(Buffer.from(bytes(reply.recipNonce ?? new ArrayBuffer(0))).equals(Buffer.from(bytes(back.header.senderNonce ?? new ArrayBuffer(1))))).toBe(true)
    expect(Buffer.from(bytes(reply.transactionID ?? new ArrayBuffer(0))).equals(Buffer.from(bytes(back.header.transactionID ?? new ArrayBuffer(1))))).toBe(true)
  })

  it('failInfo bits encode minimally and match openssl', () => {
    const fi = makeFailInfo(['badRequest'])
    const openssl = msg('error_badsecret.der').body.error?.pKIStatusInfo.failInfo
    expect(fi.unusedBits).toBe(openssl?.unusedBits)
    expect(Buffer.from(fi.value).equals(Buffer.from(openssl?.value ?? new ArrayBuffer(0)))).toBe(true)
    expect(failInfoNames(makeFailInfo(['badPOP', 'badAlg', 'duplicateCertReq']))).toEqual(['badAlg', 'badPOP', 'duplicateCertReq'])
  })

  it('error, certConf and pollRep bodies round-trip', () => {
    const bodies = [
      buildErrorBody(statusInfo(PKIStatus.rejection, 'no', ['badMessageCheck']), { details: ['x'] }),
      buildCertConfBody([{ certHash: new Uint8Array(32), status: statusInfo(PKIStatus.accepted) }]),
      buildPollRepBody([{ checkAfter: 5, reason: 'queued' }]),
    ]
    for (const b of bodies) {
      const der = encodePKIMessage(buildMessage(buildHeader(), b))
      expect(Buffer.from(encodePKIMessage(decodePKIMessage(der))).equals(Buffer.from(der))).toBe(true)
    }
    const e = decodePKIMessage(encodePKIMessage(buildMessage(buildHeader(), bodies[0] ?? buildErrorBody(statusInfo(2))))).body.error
    expect(e && errorText(e)).toBe('no: x')
  })
})
