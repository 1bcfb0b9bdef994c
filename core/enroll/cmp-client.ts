/**
 * A standard CMP client (RFC 9810 / 4210 over HTTP, RFC 9811 / 6712): ir with a password-based
 * MAC under the reference number and authorization code, kur and rr signed with the current
 * certificate, genm for the CA certificates, polling when the center answers "waiting".
 * Kept strictly standard so it also talks to EJBCA, XiPKI or any other CMP server.
 */
import { createPublicKey, generateKeyPair, randomBytes, sign as nodeSign, verify as nodeVerify, X509Certificate, type KeyObject } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { promisify } from 'node:util'
import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier, Name, SubjectKeyIdentifier, id_ce_subjectKeyIdentifier } from '@peculiar/asn1-x509'
import { CertError } from '../../shared/errors'
import { InfoTypeAndValue, OID, PKIStatus, type CertResponse, type PKIBody, type PKIHeader, type PKIMessage, type PKIStatusInfo } from '../../shared/cmp/asn1'
import {
  MAX_MESSAGE_BYTES,
  buildCertConfBody,
  buildCertReqMsg,
  buildCertRequest,
  buildGenmBody,
  buildHeader,
  buildIrBody,
  buildKurBody,
  buildMessage,
  buildPollReqBody,
  buildRrBody,
  bodyType,
  bytes,
  bytesEqual,
  caCertsFromInfo,
  certConfHash,
  certRepOf,
  decodePKIMessage,
  encodePKIMessage,
  errorText,
  extraCertsDer,
  failInfoNames,
  hasImplicitConfirm,
  issuedCertDer,
  parseCertificateDer,
  protectWithPbm,
  protectWithSignature,
  signatureProtectionInput,
  statusInfo,
  statusText,
  verifyPbmProtection,
  type Signer,
} from '../../shared/cmp/messages'
import { PBM_LIMITS, type PbmOptions } from '../../shared/cmp/pbm'

export const CMP_CONTENT_TYPE = 'application/pkixcmp'
export const WELL_KNOWN_CMP_PATH = '/.well-known/cmp'

export type EnrollStage = 'request' | 'waiting' | 'confirm' | 'done'
export type ProgressFn = (stage: EnrollStage, fraction?: number) => void

/** Settings shared by every operation. */
export interface CmpSettings {
  /** CMP protocol version written in pvno; 2 (cmp2000) unless a server wants 3. */
  pvno?: number
  /** Per HTTP round trip. Default 30 s. */
  timeoutMs?: number
  /** Longest total time spent polling a "waiting" answer. Default 5 min. */
  maxPollMs?: number
  /** Cap on one checkAfter wait. Default 60 s. */
  maxPollIntervalMs?: number
  /** PBM choices for MAC-protected requests (default: SHA-256, 500 iterations, HMAC-SHA1 like openssl). */
  pbm?: PbmOptions
  /** Trust anchors for signature-protected answers (CA certificates, DER). */
  trusted?: Uint8Array[]
  /** Injected transport (tests, proxies); defaults to node:http(s). */
  transport?: CmpTransport
  signal?: AbortSignal
  onProgress?: ProgressFn
  /**
   * Called with the issued certificate before certConf: the caller stores the certificate and
   * key here. If it throws (disk full, drive removed), the client answers certConf with a
   * rejection so the center never activates a certificate whose key was not kept.
   */
  beforeConfirm?: (certDer: Uint8Array) => Promise<void>
}

/**
 * A key this process cannot hold (a security token's): its public key, and a signer that
 * makes SHA-256 RSA PKCS#1 v1.5 signatures with it.
 */
export interface ExternalKey {
  publicKeySpki: Uint8Array
  algorithm: 'rsa-sha256'
  sign: (data: Uint8Array) => Promise<Uint8Array>
}

/** The new certificate's key: a key pair in memory, or an external one (`key`). */
export type IssueKey = { privateKey: KeyObject; publicKey: KeyObject; key?: undefined } | { key: ExternalKey; privateKey?: undefined; publicKey?: undefined }

export type IssueOptions = IssueRequest & IssueKey

export interface IssueRequest extends CmpSettings {
  url: string
  /** 참조번호: the CMP senderKID */
  reference: string
  /** 인가코드: the PBM secret */
  authCode: string
  /** Requested subject; omitted or empty lets the CA decide the DN. */
  subject?: Name
  /** 20-byte randomNum for the VID, sent in regInfo (1.2.410.200004.10.1.1.3). */
  randomNum?: Uint8Array
  /** Ask the center to skip certConf / pkiConf. */
  implicitConfirm?: boolean
  /** Recipient name (the CA's subject); NULL-DN by default. */
  recipient?: Name
}

export interface IssueResult {
  certDer: Uint8Array
  caCerts: Uint8Array[]
}

export interface RenewOptions extends CmpSettings {
  url: string
  oldCertDer: Uint8Array
  /** The current key: in memory, or on a security token (it signs the kur's protection). */
  oldKey: KeyObject | ExternalKey
  /** The new key: in memory, or generated on a security token (it signs the POPO). */
  newKey: KeyObject | ExternalKey
  randomNum?: Uint8Array
  implicitConfirm?: boolean
}

export interface RevokeOptions extends CmpSettings {
  url: string
  certDer: Uint8Array
  key: KeyObject
  /** CRLReason (RFC 5280 5.3.1); default 0 unspecified. */
  reason?: number
}

export interface CaCertsOptions extends CmpSettings {
  /** PBM-protect the genm with these; unprotected otherwise. */
  reference?: string
  authCode?: string
}

// ---------------------------------------------------------------------------------------------
// Keys and signatures

const generateKeyPairAsync = promisify(generateKeyPair)

/** A fresh RSA key pair, generated off the event loop. */
export async function generateRsaKey(bits = 2048): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (!Number.isInteger(bits) || bits < 2048 || bits > 8192) throw new CertError('BAD_REQUEST', 'RSA key size must be 2048..8192 bits')
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 })
}

function spkiDer(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }))
}

/** sha256WithRSAEncryption for RSA keys, ecdsa-with-SHA256 for EC keys. */
function signatureAlgorithm(key: KeyObject): AlgorithmIdentifier {
  if (key.asymmetricKeyType === 'rsa') return new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption, parameters: null })
  if (key.asymmetricKeyType === 'ec') return new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSHA256 })
  throw new CertError('UNSUPPORTED', `cannot sign with a ${key.asymmetricKeyType ?? 'unknown'} key`)
}

/** SPKI, POPO signer and signature algorithm of the new key, whichever form it comes in. */
function popoKey(o: IssueKey): { spki: Uint8Array; signer: Signer; algorithm: AlgorithmIdentifier } {
  if (o.key) {
    if (o.key.algorithm !== 'rsa-sha256') throw new CertError('UNSUPPORTED', 'only RSA SHA-256 external signers are supported')
    return { spki: o.key.publicKeySpki, signer: (data) => o.key.sign(data), algorithm: new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption, parameters: null }) }
  }
  return { spki: spkiDer(o.publicKey), signer: signerFor(o.privateKey), algorithm: signatureAlgorithm(o.privateKey) }
}

function signerFor(key: KeyObject): Signer {
  return (data) =>
    new Promise<Uint8Array>((resolve, reject) => {
      nodeSign('sha256', data, key, (err, sig) => (err ? reject(err) : resolve(new Uint8Array(sig))))
    })
}

/** The hash each signature algorithm we verify uses (null: the algorithm hashes itself, Ed25519). */
export const VERIFY_HASH: Record<string, string | null> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.ecdsaWithSHA256]: 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
}

function subjectKeyId(certDer: Uint8Array): Uint8Array | undefined {
  const ext = parseCertificateDer(certDer).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier)
  if (!ext) return undefined
  return new Uint8Array(AsnConvert.parse(ext.extnValue, SubjectKeyIdentifier).buffer)
}

// ---------------------------------------------------------------------------------------------
// Transport

/** The URL to POST to: the base URL plus /.well-known/cmp unless the URL already has a path. */
export function resolveCmpUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new CertError('BAD_REQUEST', 'the certification center address is not a valid URL')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CertError('BAD_REQUEST', 'the certification center address must be http or https')
  if (u.pathname === '' || u.pathname === '/') u.pathname = WELL_KNOWN_CMP_PATH
  return u.toString()
}

/** One HTTP answer as the transport hands it back. */
export interface HttpAnswer {
  status: number
  contentType: string
  body: Uint8Array
}

/** Posts one DER message; the default uses node:http(s). */
export type CmpTransport = (url: string, der: Uint8Array, o: { timeoutMs: number; signal?: AbortSignal }) => Promise<HttpAnswer>

/**
 * One connection per message with `Connection: close`: CMP over HTTP needs no persistent
 * connection, and openssl's server drops the transaction when a client reuses one.
 */
export const httpTransport: CmpTransport = (url, der, o) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const u = new URL(url)
    const mod = u.protocol === 'https:' ? https : http
    const req = mod.request(
      u,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': CMP_CONTENT_TYPE, accept: CMP_CONTENT_TYPE, 'content-length': der.length, connection: 'close' },
        timeout: o.timeoutMs,
        signal: o.signal,
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > MAX_MESSAGE_BYTES) {
            req.destroy()
            reject(new CertError('CENTER', 'the certification center answer is too large', { reason: 'size' }))
            return
          }
          chunks.push(c)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: new Uint8Array(Buffer.concat(chunks)) }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })))
    req.on('error', reject)
    req.end(der)
  })

async function post(url: string, der: Uint8Array, s: CmpSettings): Promise<PKIMessage> {
  const transport = s.transport ?? httpTransport
  let res: HttpAnswer
  try {
    res = await transport(url, der, { timeoutMs: s.timeoutMs ?? 30_000, signal: s.signal })
  } catch (err) {
    if (err instanceof CertError) throw err
    if (s.signal?.aborted) throw new CertError('CANCELLED', 'cancelled')
    if ((err as Error).name === 'TimeoutError') throw new CertError('NETWORK', 'the certification center did not answer in time')
    throw new CertError('NETWORK', 'cannot reach the certification center')
  }
  const type = res.contentType.split(';')[0]?.trim().toLowerCase()
  if (type !== CMP_CONTENT_TYPE || res.body.length === 0) {
    throw new CertError('CENTER', `the certification center answered HTTP ${res.status} without a CMP message`, { reason: 'http', status: res.status })
  }
  if (res.body.length > MAX_MESSAGE_BYTES) throw new CertError('CENTER', 'the certification center answer is too large', { reason: 'size' })
  try {
    return decodePKIMessage(res.body)
  } catch {
    throw new CertError('CENTER', 'the certification center answer is not a valid CMP message', { reason: 'malformed' })
  }
}

// ---------------------------------------------------------------------------------------------
// One CMP transaction

type Protect = (msg: PKIMessage) => Promise<PKIMessage>

interface Transaction {
  url: string
  settings: CmpSettings
  transactionID: Uint8Array
  sender: Name
  recipient: Name
  senderKID?: Uint8Array | string
  protect: Protect
  /** Checks a response's protection; returns false when it does not verify. */
  verify: (msg: PKIMessage) => boolean
  lastServerNonce?: Uint8Array
}

function newTransaction(t: Omit<Transaction, 'transactionID'>): Transaction {
  return { ...t, transactionID: crypto.getRandomValues(new Uint8Array(16)) }
}

function centerError(si: PKIStatusInfo, what: string): CertError {
  const names = failInfoNames(si.failInfo)
  const params: Record<string, string | number> = { status: si.status }
  if (names.length) params.failInfo = names.join(',')
  return new CertError('CENTER', `${what}: ${statusText(si)}`, params)
}

/** Sends one request of the transaction and returns the checked response. */
async function exchange(tx: Transaction, body: PKIBody, opts: { implicitConfirm?: boolean } = {}): Promise<PKIMessage> {
  const senderNonce = crypto.getRandomValues(new Uint8Array(16))
  const header = buildHeader({
    pvno: tx.settings.pvno ?? 2,
    sender: tx.sender,
    recipient: tx.recipient,
    senderKID: tx.senderKID,
    transactionID: tx.transactionID,
    senderNonce,
    recipNonce: tx.lastServerNonce,
    implicitConfirm: opts.implicitConfirm,
  })
  const req = await tx.protect(buildMessage(header, body))
  const res = await post(tx.url, encodePKIMessage(req), tx.settings)
  checkResponse(tx, res, senderNonce)
  return res
}

function checkResponse(tx: Transaction, res: PKIMessage, senderNonce: Uint8Array): void {
  const h: PKIHeader = res.header
  const protectedOk = tx.verify(res)
  // RFC 9810 5.3.22: an error with status "waiting" starts polling; it must be authentic
  const waiting = res.body.error?.pKIStatusInfo.status === PKIStatus.waiting && protectedOk
  if (res.body.error && !waiting) {
    // An error answer fails the transaction anyway, so its text is shown even when its
    // protection cannot be checked (a center refusing a wrong code MACs with the right one).
    const e = res.body.error
    if (e) {
      const names = failInfoNames(e.pKIStatusInfo.failInfo)
      const params: Record<string, string | number | boolean> = { status: e.pKIStatusInfo.status, verified: protectedOk }
      if (names.length) params.failInfo = names.join(',')
      throw new CertError('CENTER', `the certification center refused the request: ${errorText(e)}`, params)
    }
  }
  if (!protectedOk) throw new CertError('CENTER', 'the certification center answer failed its integrity check', { reason: 'protection' })
  if (!h.transactionID || !bytesEqual(h.transactionID, tx.transactionID)) {
    throw new CertError('CENTER', 'the certification center answered another transaction', { reason: 'transactionID' })
  }
  if (!h.recipNonce || !bytesEqual(h.recipNonce, senderNonce)) {
    throw new CertError('CENTER', 'the certification center answer does not match our request (nonce)', { reason: 'nonce' })
  }
  if (!h.senderNonce || bytes(h.senderNonce).length < 8) {
    throw new CertError('CENTER', 'the certification center answer has no usable nonce', { reason: 'nonce' })
  }
  tx.lastServerNonce = bytes(h.senderNonce)
}

function expectBody(res: PKIMessage, ...types: string[]): void {
  const t = bodyType(res.body)
  if (!t || !types.includes(t)) throw new CertError('CENTER', `unexpected answer from the certification center (${t ?? 'empty'})`, { reason: 'body' })
}

function pbmVerifier(secret: string): (msg: PKIMessage) => boolean {
  return (msg) => {
    if (msg.header.protectionAlg?.algorithm !== OID.passwordBasedMac) return false
    try {
      return verifyPbmProtection(msg, secret, PBM_LIMITS)
    } catch {
      return false
    }
  }
}

/**
 * A signature-protected answer is accepted when its signature verifies with the first
 * extraCerts entry and that certificate is, or is issued by, a trust anchor: the configured
 * ones, else a CA certificate from the answer that verifiably issued `ourCert` (only the real
 * issuer's key can have signed it), else the issuer of `ourCert` itself. Anchors found once
 * stay valid for the rest of the transaction (pkiConf and rp rarely repeat the chain).
 */
function signatureVerifier(settings: CmpSettings, ourCert?: Uint8Array): (msg: PKIMessage) => boolean {
  const anchors = (settings.trusted ?? []).map((d) => new X509Certificate(d))
  const mine = ourCert ? new X509Certificate(ourCert) : undefined
  const issuedMine = (c: X509Certificate): boolean => !!mine && mine.checkIssued(c) && mine.verify(c.publicKey)
  return (msg) => {
    try {
      if (!msg.header.protectionAlg || msg.header.protectionAlg.algorithm === OID.passwordBasedMac) return false
      const { algorithm, data, signature } = signatureProtectionInput(msg)
      const certs = extraCertsDer(msg)
      const signerDer = certs[0]
      if (!signerDer) return false
      const hash = VERIFY_HASH[algorithm]
      if (hash === undefined) return false
      const signer = new X509Certificate(signerDer)
      if (!nodeVerify(hash, data, signer.publicKey, signature)) return false
      const now = Date.now()
      if (now < Date.parse(signer.validFrom) || now > Date.parse(signer.validTo)) return false
      if (!settings.trusted?.length && mine) {
        const rep = certRepOf(msg.body)
        const pool = [...certs, ...Array.from(rep?.caPubs ?? [], (c) => new Uint8Array(AsnConvert.serialize(c)))]
        for (const c of pool.map((d) => new X509Certificate(d))) {
          if (issuedMine(c) && !anchors.some((a) => a.fingerprint256 === c.fingerprint256)) anchors.push(c)
        }
      }
      return anchors.some((a) => a.fingerprint256 === signer.fingerprint256 || (signer.checkIssued(a) && signer.verify(a.publicKey)))
    } catch {
      return false
    }
  }
}

/** Waits for the final CertResponse, polling while the center says "waiting". */
async function finalResponse(tx: Transaction, res: PKIMessage, certReqId: number): Promise<{ res: PKIMessage; resp: CertResponse }> {
  const started = Date.now()
  const maxPoll = tx.settings.maxPollMs ?? 300_000
  // after an error-with-waiting answer RFC 9810 polls with certReqId -1
  let pollId = certReqId
  for (;;) {
    const rep = certRepOf(res.body)
    let waitMs = 1000
    if (rep) {
      const resp = Array.from(rep.response).find((r) => r.certReqId === certReqId)
      if (!resp) throw new CertError('CENTER', 'the certification center answer lacks our request', { reason: 'certReqId' })
      if (resp.status.status !== PKIStatus.waiting) return { res, resp }
      pollId = certReqId
    } else if (res.body.error) {
      pollId = -1
    } else if (res.body.pollRep) {
      const pr = Array.from(res.body.pollRep).find((p) => p.certReqId === pollId)
      if (!pr) throw new CertError('CENTER', 'the certification center poll answer lacks our request', { reason: 'certReqId' })
      waitMs = Math.max(0, Number(pr.checkAfter)) * 1000
    } else {
      expectBody(res, 'ip', 'cp', 'kup', 'pollRep', 'error')
    }
    waitMs = Math.min(waitMs, tx.settings.maxPollIntervalMs ?? 60_000)
    if (Date.now() + waitMs - started > maxPoll) throw new CertError('CENTER', 'the certification center is still processing the request; try again later', { reason: 'waiting' })
    tx.settings.onProgress?.('waiting')
    await sleep(waitMs, tx.settings.signal)
    res = await exchange(tx, buildPollReqBody([pollId]))
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CertError('CANCELLED', 'cancelled'))
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      reject(new CertError('CANCELLED', 'cancelled'))
    })
  })
}

/** Accepts the certificate of an accepted response, or throws the center's refusal. */
function acceptCert(resp: CertResponse, publicKeySpki: Uint8Array, what: string): Uint8Array {
  const s = resp.status.status
  if (s !== PKIStatus.accepted && s !== PKIStatus.grantedWithMods) throw centerError(resp.status, what)
  const certDer = issuedCertDer(resp)
  if (!certDer) throw new CertError('CENTER', 'the certification center sent no certificate (an encrypted one is not supported)', { reason: 'no-cert' })
  let certKey: Uint8Array
  try {
    certKey = spkiDer(new X509Certificate(certDer).publicKey)
  } catch {
    throw new CertError('CENTER', 'the certification center sent an unreadable certificate', { reason: 'cert' })
  }
  if (!bytesEqual(certKey, publicKeySpki)) throw new CertError('CENTER', 'the issued certificate is not for our key', { reason: 'key-mismatch' })
  return certDer
}

/** certConf → pkiConf, unless the center granted implicit confirmation. */
async function confirm(tx: Transaction, res: PKIMessage, certDer: Uint8Array, certReqId: number, askedImplicit: boolean): Promise<void> {
  const implicit = askedImplicit && hasImplicitConfirm(res.header)
  if (tx.settings.beforeConfirm) {
    try {
      await tx.settings.beforeConfirm(certDer)
    } catch (err) {
      if (!implicit) {
        const rejected = buildCertConfBody([{ certReqId, certHash: certConfHash(certDer), status: statusInfo(PKIStatus.rejection, 'the certificate could not be stored') }])
        await exchange(tx, rejected).catch(() => undefined)
      }
      throw err
    }
  }
  if (implicit) return
  tx.settings.onProgress?.('confirm', 0.8)
  const conf = await exchange(tx, buildCertConfBody([{ certReqId, certHash: certConfHash(certDer), status: statusInfo(PKIStatus.accepted) }]))
  expectBody(conf, 'pkiconf')
}

function caCertsOf(res: PKIMessage): Uint8Array[] {
  const rep = certRepOf(res.body)
  return Array.from(rep?.caPubs ?? [], (c) => new Uint8Array(AsnConvert.serialize(c)))
}

// ---------------------------------------------------------------------------------------------
// Operations

/** 발급 / 재발급: ir (PBM, senderKID = reference) → ip → certConf → pkiConf. */
export async function issue(o: IssueOptions): Promise<IssueResult> {
  if (!o.reference) throw new CertError('BAD_REQUEST', 'the reference number is missing')
  if (!o.authCode) throw new CertError('BAD_REQUEST', 'the authorization code is missing')
  const subject = o.subject ?? new Name()
  // One salt for the POPO MAC and the messages: the center then derives the PBM key once per
  // message instead of twice. The two MACs cover different structures (a public key, a
  // ProtectedPart), so sharing the key gives nothing to an attacker.
  const pbm: PbmOptions = { ...o.pbm, salt: o.pbm?.salt ?? new Uint8Array(randomBytes(16)) }
  const tx = newTransaction({
    url: resolveCmpUrl(o.url),
    settings: o,
    sender: subject,
    recipient: o.recipient ?? new Name(),
    senderKID: o.reference,
    protect: async (m) => protectWithPbm(m, o.authCode, pbm),
    verify: pbmVerifier(o.authCode),
  })
  const certReqId = 0
  const key = popoKey(o)
  const req = buildCertRequest({ certReqId, publicKey: key.spki, subject })
  const crm = await buildCertReqMsg(req, key.signer, {
    algorithm: key.algorithm,
    pbmSecret: o.authCode,
    pbm,
    randomNum: o.randomNum,
  })
  o.onProgress?.('request', 0.2)
  const first = await exchange(tx, buildIrBody([crm]), { implicitConfirm: o.implicitConfirm })
  expectBody(first, 'ip', 'error')
  const { res, resp } = await finalResponse(tx, first, certReqId)
  const certDer = acceptCert(resp, key.spki, 'the certification center refused the certificate')
  await confirm(tx, res, certDer, certReqId, !!o.implicitConfirm)
  o.onProgress?.('done', 1)
  return { certDer, caCerts: caCertsOf(res) }
}

function isExternal(k: KeyObject | ExternalKey): k is ExternalKey {
  return 'sign' in k && typeof (k as ExternalKey).sign === 'function'
}

/** The SPKI, signer and signature algorithm of a key in memory or on a token. */
function keyParts(k: KeyObject | ExternalKey): { spki: Uint8Array; signer: Signer; algorithm: AlgorithmIdentifier } {
  if (isExternal(k)) return popoKey({ key: k })
  return { spki: spkiDer(publicOf(k)), signer: signerFor(k), algorithm: signatureAlgorithm(k) }
}

/** 갱신: kur signed with the old key and certificate (control oldCertID) → kup → certConf → pkiConf. */
export async function renew(o: RenewOptions): Promise<IssueResult> {
  const old = parseCertificateDer(o.oldCertDer)
  const subject = old.tbsCertificate.subject
  const oldParts = keyParts(o.oldKey)
  const alg = oldParts.algorithm
  const oldSigner = oldParts.signer
  const tx = newTransaction({
    url: resolveCmpUrl(o.url),
    settings: o,
    sender: subject,
    recipient: old.tbsCertificate.issuer,
    senderKID: subjectKeyId(o.oldCertDer),
    protect: (m) => protectWithSignature(m, alg, oldSigner, [o.oldCertDer]),
    verify: signatureVerifier(o, o.oldCertDer),
  })
  const certReqId = 0
  const newParts = keyParts(o.newKey)
  const req = buildCertRequest({ certReqId, publicKey: newParts.spki, subject, issuer: old.tbsCertificate.issuer, oldCert: o.oldCertDer })
  const crm = await buildCertReqMsg(req, newParts.signer, { algorithm: newParts.algorithm, randomNum: o.randomNum })
  o.onProgress?.('request', 0.2)
  const first = await exchange(tx, buildKurBody([crm]), { implicitConfirm: o.implicitConfirm })
  expectBody(first, 'kup', 'error')
  const { res, resp } = await finalResponse(tx, first, certReqId)
  const certDer = acceptCert(resp, newParts.spki, 'the certification center refused the renewal')
  await confirm(tx, res, certDer, certReqId, !!o.implicitConfirm)
  o.onProgress?.('done', 1)
  return { certDer, caCerts: caCertsOf(res) }
}

/** 폐기: rr signed with the certificate's key → rp. */
export async function revoke(o: RevokeOptions): Promise<void> {
  const cert = parseCertificateDer(o.certDer)
  const alg = signatureAlgorithm(o.key)
  const signer = signerFor(o.key)
  const tx = newTransaction({
    url: resolveCmpUrl(o.url),
    settings: o,
    sender: cert.tbsCertificate.subject,
    recipient: cert.tbsCertificate.issuer,
    senderKID: subjectKeyId(o.certDer),
    protect: (m) => protectWithSignature(m, alg, signer, [o.certDer]),
    verify: signatureVerifier(o, o.certDer),
  })
  o.onProgress?.('request', 0.3)
  const res = await exchange(tx, buildRrBody(o.certDer, o.reason ?? 0))
  expectBody(res, 'rp')
  const st = res.body.rp?.status[0]
  if (!st) throw new CertError('CENTER', 'the certification center sent no revocation status', { reason: 'body' })
  if (st.status !== PKIStatus.accepted && st.status !== PKIStatus.grantedWithMods && st.status !== PKIStatus.revocationNotification) {
    throw centerError(st, 'the certification center refused the revocation')
  }
  o.onProgress?.('done', 1)
}

/**
 * CA certificates via genm id-it-caCerts. The answer's protection is checked when we can
 * (PBM with the given code); these certificates are informational, trust comes from elsewhere.
 */
export async function getCaCerts(url: string, o: CaCertsOptions = {}): Promise<Uint8Array[]> {
  const secret = o.authCode
  const tx = newTransaction({
    url: resolveCmpUrl(url),
    settings: o,
    sender: new Name(),
    recipient: new Name(),
    senderKID: o.reference,
    protect: async (m) => (secret ? protectWithPbm(m, secret, o.pbm) : m),
    verify: secret ? pbmVerifier(secret) : () => true,
  })
  const res = await exchange(tx, buildGenmBody([new InfoTypeAndValue({ infoType: OID.itCaCerts })]))
  expectBody(res, 'genp')
  const info = Array.from(res.body.genp ?? []).find((i) => i.infoType === OID.itCaCerts)
  return info ? caCertsFromInfo(info) : []
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key)
}
