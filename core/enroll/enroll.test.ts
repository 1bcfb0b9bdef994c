import { execFileSync } from 'node:child_process'
import { createPrivateKey, generateKeyPairSync, sign as nodeSign, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertError } from '../../shared/errors'
import { PKIStatus, type PKIMessage } from '../../shared/cmp/asn1'
import {
  buildCertRepBody,
  buildErrorBody,
  buildMessage,
  buildPkiConfBody,
  buildPollRepBody,
  buildReplyHeader,
  bytes,
  decodePKIMessage,
  encodePKIMessage,
  getRandomNumRegInfo,
  protectWithPbm,
  statusInfo,
  verifyPbmProtection,
} from '../../shared/cmp/messages'
import { openSignKey, readRandomNum } from '../formats/signpri'
import { issue, resolveCmpUrl, type CmpTransport, type HttpAnswer } from './cmp-client'
import { buildPkcs8WithRandomNum } from './npki-key'
import { saveIssued, saveRenewed } from './save'
import { parseSubject } from './subject'
import { Trash } from '../storage/trash'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/cmp')
const SECRET = '1234-5678-abcd'
const tmp = mkdtempSync(join(tmpdir(), 'enroll-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const nameText = (n: ReturnType<typeof parseSubject>) =>
  Array.from(n, (rdn) => Array.from(rdn, (a) => `${a.type}=${a.value.toString()}`).join('+')).join('/')

describe('parseSubject', () => {
  it('reads openssl and RFC 4514 spellings into the same DER order', () => {
    const a = parseSubject('/C=KR/O=Test Bank/CN=홍길동')
    const b = parseSubject('CN=홍길동,O=Test Bank,C=KR')
    expect(nameText(a)).toBe('2.5.4.6=KR/2.5.4.10=Test Bank/2.5.4.3=홍길동')
    expect(Buffer.from(AsnConvert.serialize(a)).equals(Buffer.from(AsnConvert.serialize(b)))).toBe(true)
    expect(a[0]?.[0]?.value.printableString).toBe('KR')
    expect(a[2]?.[0]?.value.utf8String).toBe('홍길동')
  })
  it('gives an empty Name for an empty subject and rejects junk', () => {
    expect(parseSubject('').length).toBe(0)
    expect(() => parseSubject('CN')).toThrow(CertError)
    expect(() => parseSubject('XX=1')).toThrow(/unknown subject attribute/)
    expect(() => parseSubject('C=한국')).toThrow(/printable/)
  })
})

describe('resolveCmpUrl', () => {
  it('adds /.well-known/cmp only when the URL has no path', () => {
    expect(resolveCmpUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/.well-known/cmp')
    expect(resolveCmpUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/.well-known/cmp')
    expect(resolveCmpUrl('http://127.0.0.1:8080/.well-known/cmp/p/CA/initialization')).toBe('http://127.0.0.1:8080/.well-known/cmp/p/CA/initialization')
    expect(() => resolveCmpUrl('ftp://x')).toThrow(CertError)
    expect(() => resolveCmpUrl('not a url')).toThrow(CertError)
  })
})

describe('NPKI key and folder', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const randomNum = Uint8Array.from({ length: 20 }, (_, i) => 200 - i)
  const certDer = new Uint8Array(new X509Certificate(readFileSync(join(FIX, 'rsp_cert1.pem'))).raw)

  it('PKCS#8 carries randomNum as [0] { Attribute { 1.2.410.200004.10.1.1.3, SET { BIT STRING } } }', () => {
    const pkcs8 = buildPkcs8WithRandomNum(privateKey, randomNum)
    expect(readRandomNum(pkcs8)).toEqual(randomNum)
    const hex = Buffer.from(pkcs8).toString('hex')
    expect(hex.endsWith('a027' + '3025' + '060a2a831a8c9a440a010103' + '3117' + '031500' + Buffer.from(randomNum).toString('hex'))).toBe(true)
    const back = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
    expect(back.export({ format: 'jwk' }).n).toBe(privateKey.export({ format: 'jwk' }).n)
    expect(() => buildPkcs8WithRandomNum(privateKey, new Uint8Array(10))).toThrow(CertError)
  })

  it('saveIssued writes <root>/<CA>/USER/<DN>/ and refuses to overwrite unless asked', async () => {
    const root = join(tmp, 'npki')
    const pkcs8 = buildPkcs8WithRandomNum(privateKey, randomNum)
    const dir = await saveIssued(root, certDer, pkcs8, 'pw-for-test-1!')
    expect(dir).toBe(join(root, 'Test CA', 'USER', 'cn=Hong Gildong,o=Test Bank,c=kr'))
    expect(readdirSync(dir).sort()).toEqual(['signCert.der', 'signPri.key'])
    expect(readFileSync(join(dir, 'signCert.der')).equals(Buffer.from(certDer))).toBe(true)
    const err = await saveIssued(root, certDer, pkcs8, 'pw-for-test-1!').catch((e: unknown) => e)
    expect(err instanceof CertError && err.code).toBe('CONFLICT')
    await expect(saveIssued(root, certDer, pkcs8, 'pw-for-test-2!', { onExists: 'suffix' })).resolves.toBe(dir + '_5df725b4d0b36f55a7bf12ea7252bf78336e7bbd')
    await expect(saveIssued(root, certDer, pkcs8, 'pw-for-test-2!', { onExists: 'replace' })).resolves.toBe(dir)
    const keyFile = new Uint8Array(readFileSync(join(dir, 'signPri.key')))
    // the key does not belong to the certificate, which openSignKey reports as a wrong password
    expect(() => openSignKey(certDer, keyFile, 'pw-for-test-2!')).toThrow(CertError)
  })

  it('saveRenewed replaces cert and key in place, keeps other files, and puts the old folder in the trash', async () => {
    const folder = join(tmp, 'renew-folder')
    const pkcs8 = buildPkcs8WithRandomNum(privateKey, randomNum)
    await saveIssued(join(tmp, 'r'), certDer, pkcs8, 'pw-for-test-1!')
    const src = join(tmp, 'r', 'Test CA', 'USER', 'cn=Hong Gildong,o=Test Bank,c=kr')
    rmSync(folder, { recursive: true, force: true })
    renameSync(src, folder)
    writeFileSync(join(folder, 'kmCert.der'), 'km')
    const cert2 = new Uint8Array(new X509Certificate(readFileSync(join(FIX, 'rsp_cert2.pem'))).raw)
    const trash = new Trash(join(tmp, 'renew-data'))
    const { trashId } = await saveRenewed(folder, cert2, pkcs8, 'pw-for-test-1!', trash)
    expect(readdirSync(folder).sort()).toEqual(['kmCert.der', 'signCert.der', 'signPri.key'])
    expect((await trash.list()).map((e) => e.id)).toEqual([trashId])
    expect(readdirSync(join(tmp, 'renew-folder', '..')).filter((n) => n.endsWith('.tmp'))).toEqual([])
    expect(readFileSync(join(folder, 'signCert.der')).equals(Buffer.from(cert2))).toBe(true)
    expect(readFileSync(join(folder, 'kmCert.der'), 'utf8')).toBe('km')
  })
})

/** A scripted center speaking our own message code: for client logic only (interop is against openssl). */
function scriptedCenter(script: ((req: PKIMessage) => PKIMessage | HttpAnswer)[]): { transport: CmpTransport; seen: PKIMessage[] } {
  const seen: PKIMessage[] = []
  const transport: CmpTransport = async (_url, der) => {
    const req = decodePKIMessage(der)
    seen.push(req)
    const step = script.shift()
    if (!step) throw new Error('unexpected request')
    const out = step(req)
    if ('status' in out && 'body' in out && out.body instanceof Uint8Array) return out
    return { status: 200, contentType: 'application/pkixcmp', body: encodePKIMessage(out as PKIMessage) }
  }
  return { transport, seen }
}

describe('issue() protocol handling', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  // a self-signed certificate for the client's key stands in for the issued one
  const certDer = (() => {
    const dir = mkdtempSync(join(tmp, 'k-'))
    writeFileSync(join(dir, 'k.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-key', join(dir, 'k.pem'), '-subj', '/CN=Self', '-days', '2', '-out', join(dir, 'c.pem')])
    return new Uint8Array(new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw)
  })()
  const reply = (req: PKIMessage, body: ReturnType<typeof buildPkiConfBody>, secret = SECRET) => protectWithPbm(buildMessage(buildReplyHeader(req.header), body), secret)
  const base = { url: 'http://center.invalid', reference: '30781234', authCode: SECRET, privateKey, publicKey, maxPollIntervalMs: 10 }

  it('polls on waiting, then confirms, sending randomNum and checking nonces', async () => {
    const c = scriptedCenter([
      (req) => reply(req, buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.waiting) }])),
      (req) => reply(req, buildPollRepBody([{ checkAfter: 0 }])),
      (req) => reply(req, buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.accepted), cert: certDer }])),
      (req) => reply(req, buildPkiConfBody()),
    ])
    const randomNum = new Uint8Array(20).fill(9)
    const stages: string[] = []
    const r = await issue({ ...base, transport: c.transport, randomNum, onProgress: (s) => stages.push(s) })
    expect(Buffer.from(r.certDer).equals(Buffer.from(certDer))).toBe(true)
    expect(c.seen.map((m) => Object.keys(m.body).find((k) => (m.body as unknown as Record<string, unknown>)[k] !== undefined))).toEqual(['ir', 'pollReq', 'pollReq', 'certConf'])
    expect(stages).toContain('waiting')
    const ir = c.seen[0]
    expect(ir && verifyPbmProtection(ir, SECRET)).toBe(true)
    expect(ir?.body.ir?.[0] && getRandomNumRegInfo(ir.body.ir[0])).toEqual(randomNum)
    const tid = c.seen.map((m) => Buffer.from(bytes(m.header.transactionID ?? new ArrayBuffer(0))).toString('hex'))
    expect(new Set(tid).size).toBe(1)
  })

  it('polls with certReqId -1 after an error with status waiting (RFC 9810 5.3.22)', async () => {
    const c = scriptedCenter([
      (req) => reply(req, buildErrorBody(statusInfo(PKIStatus.waiting, 'queued'))),
      (req) => reply(req, buildPollRepBody([{ certReqId: -1, checkAfter: 0 }])),
      (req) => reply(req, buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.accepted), cert: certDer }])),
      (req) => reply(req, buildPkiConfBody()),
    ])
    const r = await issue({ ...base, transport: c.transport })
    expect(Buffer.from(r.certDer).equals(Buffer.from(certDer))).toBe(true)
    expect(c.seen.slice(1, 3).map((m) => m.body.pollReq?.[0]?.certReqId)).toEqual([-1, -1])
    // an unauthenticated "waiting" is a refusal, not a reason to keep polling
    const forged = scriptedCenter([(req) => reply(req, buildErrorBody(statusInfo(PKIStatus.waiting, 'queued')), 'not-the-code')])
    await expect(issue({ ...base, transport: forged.transport })).rejects.toMatchObject({ code: 'CENTER', params: { verified: false } })
  })

  it('refuses an answer with a wrong recipNonce or transactionID, or a bad MAC', async () => {
    const wrongNonce = scriptedCenter([
      (req) => {
        const m = buildMessage(buildReplyHeader(req.header), buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.accepted), cert: certDer }]))
        m.header.recipNonce = new Uint8Array(16).buffer
        return protectWithPbm(m, SECRET)
      },
    ])
    await expect(issue({ ...base, transport: wrongNonce.transport })).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'nonce' } })
    const wrongTid = scriptedCenter([
      (req) => {
        const m = buildMessage(buildReplyHeader(req.header), buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.accepted), cert: certDer }]))
        m.header.transactionID = new Uint8Array(16).buffer
        return protectWithPbm(m, SECRET)
      },
    ])
    await expect(issue({ ...base, transport: wrongTid.transport })).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'transactionID' } })
    const badMac = scriptedCenter([(req) => reply(req, buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.accepted), cert: certDer }]), 'other-secret')])
    await expect(issue({ ...base, transport: badMac.transport })).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'protection' } })
  })

  it('turns a rejection into CertError CENTER with the status text and failInfo', async () => {
    const c = scriptedCenter([(req) => reply(req, buildCertRepBody('ip', [{ status: statusInfo(PKIStatus.rejection, 'customer has a valid certificate', ['duplicateCertReq']) }]))])
    const e = await issue({ ...base, transport: c.transport }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(CertError)
    expect((e as CertError).message).toContain('customer has a valid certificate')
    expect((e as CertError).params?.failInfo).toBe('duplicateCertReq')
    const err = scriptedCenter([(req) => reply(req, buildErrorBody(statusInfo(PKIStatus.rejection, 'locked', ['notAuthorized'])))])
    await expect(issue({ ...base, transport: err.transport })).rejects.toMatchObject({ code: 'CENTER', params: { failInfo: 'notAuthorized', verified: true } })
  })

  it('maps a non-CMP HTTP answer and a transport failure to CENTER / NETWORK', async () => {
    const html = scriptedCenter([() => ({ status: 502, contentType: 'text/html', body: new TextEncoder().encode('<html>') })])
    await expect(issue({ ...base, transport: html.transport })).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'http', status: 502 } })
    await expect(issue({ ...base, url: 'http://127.0.0.1:1/', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'NETWORK' })
  })

  it('signs the POPO with the new key', async () => {
    const c = scriptedCenter([(req) => reply(req, buildErrorBody(statusInfo(PKIStatus.rejection, 'stop')))])
    await issue({ ...base, transport: c.transport, subject: parseSubject('CN=x') }).catch(() => undefined)
    const crm = c.seen[0]?.body.ir?.[0]
    const sig = crm?.popo?.signature
    expect(sig).toBeDefined()
    const expected = nodeSign('sha256', bytes(crm?.certReqRaw ?? new ArrayBuffer(0)), privateKey)
    // RSA PKCS#1 v1.5 is deterministic, so the same input gives the same signature
    expect(Buffer.from(sig?.signature.value ?? new ArrayBuffer(0)).equals(expected)).toBe(true)
  })
})
