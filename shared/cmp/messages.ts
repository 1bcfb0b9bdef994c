/**
 * CMP message helpers shared by the client and the certification center: decoding with
 * typed errors, the DER of ProtectedPart, PBM and signature protection, and builders for the
 * bodies both sides send. Platform neutral: signing and verifying are callbacks.
 */
import { AsnConvert, BitString, OctetString } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier, Certificate, Extension, Extensions, GeneralName, Name, SubjectPublicKeyInfo, Time } from '@peculiar/asn1-x509'
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js'
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { readTlv } from '../der/reader'
import { sequence } from '../der/writer'
import { CertError } from '../errors'
import {
  CertConfirmContent,
  CertId,
  CertIds,
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertReqMessages,
  CertReqMsg,
  CertRequest,
  CertResponse,
  CertResponses,
  CertStatus,
  CertTemplate,
  CMPCertificates,
  Controls,
  CrmfAttributeTypeAndValue,
  ErrorMsgContent,
  GenMsgContent,
  GenRepContent,
  InfoTypeAndValue,
  InfoTypeAndValues,
  OptionalValidity,
  OID,
  PKI_BODY_TYPES,
  PKI_FAILURE_INFO_NAMES,
  PKIBody,
  PKIFreeText,
  PKIHeader,
  PKIMessage,
  PKIStatus,
  PKIStatusInfo,
  PKIStatusInfos,
  PKMACValue,
  POPOSigningKey,
  POPOSigningKeyInput,
  POPOSigningKeyInputAuthInfo,
  PollRepContent,
  PollRepEntry,
  PollReqContent,
  PollReqEntry,
  ProofOfPossession,
  ProtectedPart,
  RegInfo,
  RevDetails,
  RevRepContent,
  RevReqContent,
  type PBMParameter,
  type PKIBodyType,
  type PKIFailureInfoName,
} from './asn1'
import { fastDecodePKIMessage } from './fast-decode'
import { computePbm, constantTimeEqual, newPbmParameter, parsePbmAlgorithm, pbmAlgorithm, PBM_LIMITS, type PbmHashes, type PbmLimits, type PbmOptions } from './pbm'

/** Upper bound on an accepted PKIMessage (a handful of certificates fit many times over). */
export const MAX_MESSAGE_BYTES = 256 * 1024

// ---------------------------------------------------------------------------------------------
// Bytes

/** Copies any byte view into a fresh Uint8Array (no shared backing buffer). */
export function bytes(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0))
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
}

/** A standalone ArrayBuffer holding a copy of `v` (what the asn1 schema fields want). */
export function ab(v: Uint8Array): ArrayBuffer {
  return v.slice().buffer
}

export function bytesEqual(a: Uint8Array | ArrayBuffer | undefined, b: Uint8Array | ArrayBuffer | undefined): boolean {
  if (!a || !b) return false
  return constantTimeEqual(bytes(a), bytes(b))
}

/** Fresh random bytes (transactionID, nonces). */
export function newNonce(length = 16): Uint8Array {
  return randomBytes(length)
}

/** Whether the bytes are exactly one strict DER element (a header the reader accepts, spanning them all). */
function isOneDerElement(der: Uint8Array): boolean {
  try {
    return readTlv(der, 0).end === der.length
  } catch {
    return false
  }
}

/** Serial number bytes (two's complement, as in DER) to bigint. */
export function serialToBigInt(serial: ArrayBuffer | Uint8Array): bigint {
  const b = bytes(serial)
  let v = 0n
  for (const x of b) v = (v << 8n) | BigInt(x)
  if (b.length > 0 && (b[0] ?? 0) & 0x80) v -= 1n << BigInt(b.length * 8)
  return v
}

/** Serial number bytes as lower-case hex (the form used in logs and folder names). */
export function serialToHex(serial: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes(serial), (x) => x.toString(16).padStart(2, '0')).join('')
}

// ---------------------------------------------------------------------------------------------
// Encode / decode

/**
 * Parses one DER PKIMessage. Throws CertError BAD_REQUEST when the bytes are not a single DER
 * element of acceptable size, DAMAGED when they are ASN.1 but not a PKIMessage.
 */
export function decodePKIMessage(der: Uint8Array): PKIMessage {
  if (der.length === 0) throw new CertError('BAD_REQUEST', 'empty CMP message')
  if (der.length > MAX_MESSAGE_BYTES) throw new CertError('BAD_REQUEST', 'CMP message too large')
  if (der[0] !== 0x30 || !isOneDerElement(der)) throw new CertError('BAD_REQUEST', 'not a DER CMP message')
  let msg: PKIMessage | undefined
  try {
    msg = fastDecodePKIMessage(der) ?? AsnConvert.parse(der, PKIMessage)
  } catch {
    throw new CertError('DAMAGED', 'malformed CMP message')
  }
  if (!bodyType(msg.body)) throw new CertError('DAMAGED', 'CMP message has no body')
  return msg
}

export function encodePKIMessage(msg: PKIMessage): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(msg))
}

/** The alternative a PKIBody holds (e.g. 'ip'), or undefined. */
export function bodyType(body: PKIBody): PKIBodyType | undefined {
  for (const t of PKI_BODY_TYPES) if (body[t] !== undefined) return t
  return undefined
}

/** DER of ProtectedPart { header, body } built from the objects. */
export function protectedPartDer(header: PKIHeader, body: PKIBody): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new ProtectedPart({ header, body })))
}

/**
 * DER of the ProtectedPart of a message. For a parsed message this uses the bytes as received
 * (headerRaw/bodyRaw), so protection is checked over what the peer actually signed.
 */
export function protectedPartOf(msg: PKIMessage): Uint8Array {
  if (msg.headerRaw && msg.bodyRaw) return sequence(bytes(msg.headerRaw), bytes(msg.bodyRaw))
  return protectedPartDer(msg.header, msg.body)
}

/** Drops the received-bytes copies after a change, so protection is computed on the new content. */
function touch(msg: PKIMessage): void {
  msg.headerRaw = undefined
  msg.bodyRaw = undefined
}

// ---------------------------------------------------------------------------------------------
// Protection

/** Sets header.protectionAlg to a fresh PBM and fills `protection`. */
export function protectWithPbm(msg: PKIMessage, secret: Uint8Array | string, opts: PbmOptions = {}): PKIMessage {
  const param = newPbmParameter(opts)
  msg.header.protectionAlg = pbmAlgorithm(param)
  touch(msg)
  const mac = computePbm(param, secret, protectedPartDer(msg.header, msg.body), { minIterations: 1, maxIterations: Number.MAX_SAFE_INTEGER }, opts.hashes)
  msg.protection = new BitString(mac)
  return msg
}

/**
 * True when the message's PBM protection verifies with `secret`. Throws BAD_REQUEST / UNSUPPORTED if it is not usable PBM.
 * `o.param` is the already parsed PBMParameter of header.protectionAlg, when the caller has it.
 */
export function verifyPbmProtection(
  msg: PKIMessage,
  secret: Uint8Array | string,
  limits: PbmLimits = PBM_LIMITS,
  o: { hashes?: PbmHashes; param?: PBMParameter } = {},
): boolean {
  const param = o.param ?? parsePbmAlgorithm(msg.header.protectionAlg)
  if (!msg.protection) throw new CertError('BAD_REQUEST', 'CMP message has no protection')
  if (msg.protection.unusedBits !== 0) return false
  const mac = computePbm(param, secret, protectedPartOf(msg), limits, o.hashes)
  return constantTimeEqual(mac, new Uint8Array(msg.protection.value))
}

export type Signer = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>

/** sha256WithRSAEncryption with NULL parameters (RFC 4055). */
export function sha256WithRsaAlgorithm(): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption, parameters: null })
}

/** Signature protection: sets protectionAlg, signs ProtectedPart with `sign`, sets `protection`. */
export async function protectWithSignature(msg: PKIMessage, alg: AlgorithmIdentifier, sign: Signer, extraCerts?: Uint8Array[]): Promise<PKIMessage> {
  msg.header.protectionAlg = alg
  if (extraCerts?.length) msg.extraCerts = new CMPCertificates(extraCerts.map((c) => parseCertificateDer(c)))
  touch(msg)
  const sig = await sign(protectedPartDer(msg.header, msg.body))
  msg.protection = new BitString(sig)
  return msg
}

/** What a signature-protected message's verifier needs: the algorithm OID, the signed bytes and the signature. */
export function signatureProtectionInput(msg: PKIMessage): { algorithm: string; data: Uint8Array; signature: Uint8Array } {
  const alg = msg.header.protectionAlg
  if (!alg) throw new CertError('BAD_REQUEST', 'CMP message has no protection algorithm')
  if (alg.algorithm === OID.passwordBasedMac) throw new CertError('BAD_REQUEST', 'CMP message is MAC-protected, not signed')
  if (!msg.protection || msg.protection.unusedBits !== 0) throw new CertError('BAD_REQUEST', 'CMP message has no signature')
  return { algorithm: alg.algorithm, data: protectedPartOf(msg), signature: new Uint8Array(msg.protection.value) }
}

/** DER of each extraCerts entry, in order. */
export function extraCertsDer(msg: PKIMessage): Uint8Array[] {
  return (msg.extraCerts ?? []).map((c) => new Uint8Array(AsnConvert.serialize(c)))
}

// ---------------------------------------------------------------------------------------------
// Names

/** GeneralName directoryName for a Name (an empty Name is the NULL-DN). */
export function directoryName(name: Name = new Name()): GeneralName {
  return new GeneralName({ directoryName: name })
}

/** Name from DER (e.g. a certificate's subject bytes). */
export function nameFromDer(der: Uint8Array): Name {
  return AsnConvert.parse(der, Name)
}

/** Parses a certificate DER with a typed error. */
export function parseCertificateDer(der: Uint8Array): Certificate {
  try {
    return AsnConvert.parse(der, Certificate)
  } catch {
    throw new CertError('DAMAGED', 'malformed certificate')
  }
}

export function certificateDer(cert: Certificate): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(cert))
}

// ---------------------------------------------------------------------------------------------
// Status

/** PKIFailureInfo as a minimal DER named BIT STRING. */
export function makeFailInfo(names: readonly PKIFailureInfoName[]): BitString {
  const bits = names.map((n) => PKI_FAILURE_INFO_NAMES.indexOf(n)).filter((i) => i >= 0)
  if (bits.length === 0) return new BitString(new Uint8Array(0), 0)
  const top = Math.max(...bits)
  const buf = new Uint8Array((top >> 3) + 1)
  for (const b of bits) buf[b >> 3] = (buf[b >> 3] ?? 0) | (0x80 >> (b & 7))
  return new BitString(buf, 7 - (top & 7))
}

/** Names of the bits set in a PKIFailureInfo. */
export function failInfoNames(fi: BitString | undefined): PKIFailureInfoName[] {
  if (!fi) return []
  const v = new Uint8Array(fi.value)
  const out: PKIFailureInfoName[] = []
  PKI_FAILURE_INFO_NAMES.forEach((name, i) => {
    if (((v[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0) out.push(name)
  })
  return out
}

export function statusInfo(status: number, text?: string | string[], failInfo?: readonly PKIFailureInfoName[]): PKIStatusInfo {
  const si = new PKIStatusInfo({ status })
  if (text !== undefined) si.statusString = new PKIFreeText(Array.isArray(text) ? text : [text])
  if (failInfo?.length) si.failInfo = makeFailInfo(failInfo)
  return si
}

/** One line describing a status for the user: statusString texts, else the failInfo names, else the status name. */
export function statusText(si: PKIStatusInfo): string {
  const texts = si.statusString ? Array.from(si.statusString) : []
  if (texts.length) return texts.join('; ')
  const names = failInfoNames(si.failInfo)
  if (names.length) return names.join(', ')
  const entry = Object.entries(PKIStatus).find(([, v]) => v === si.status)
  return entry ? entry[0] : `status ${si.status}`
}

// ---------------------------------------------------------------------------------------------
// Header

export interface HeaderOptions {
  /** default 2 (cmp2000); 3 when using CMP v3 features */
  pvno?: number
  /** default NULL-DN */
  sender?: GeneralName | Name
  /** default NULL-DN */
  recipient?: GeneralName | Name
  senderKID?: Uint8Array | string
  recipKID?: Uint8Array
  /** default: 16 fresh random bytes */
  transactionID?: Uint8Array
  /** default: 16 fresh random bytes */
  senderNonce?: Uint8Array
  recipNonce?: Uint8Array
  /** default: now; pass null to omit */
  messageTime?: Date | null
  implicitConfirm?: boolean
  freeText?: string[]
  generalInfo?: InfoTypeAndValue[]
}

function asGeneralName(n: GeneralName | Name | undefined): GeneralName {
  if (!n) return directoryName()
  return n instanceof GeneralName ? n : directoryName(n)
}

export function buildHeader(o: HeaderOptions = {}): PKIHeader {
  const h = new PKIHeader({
    pvno: o.pvno ?? 2,
    sender: asGeneralName(o.sender),
    recipient: asGeneralName(o.recipient),
    transactionID: ab(o.transactionID ?? newNonce()),
    senderNonce: ab(o.senderNonce ?? newNonce()),
  })
  // GeneralizedTime has no fractional seconds in CMP practice; keep whole seconds for DER stability
  if (o.messageTime !== null) h.messageTime = new Date(Math.floor((o.messageTime ?? new Date()).getTime() / 1000) * 1000)
  if (o.senderKID !== undefined) h.senderKID = ab(typeof o.senderKID === 'string' ? utf8ToBytes(o.senderKID) : o.senderKID)
  if (o.recipKID) h.recipKID = ab(o.recipKID)
  if (o.recipNonce) h.recipNonce = ab(o.recipNonce)
  if (o.freeText?.length) h.freeText = new PKIFreeText(o.freeText)
  const info = [...(o.generalInfo ?? [])]
  if (o.implicitConfirm) info.push(new InfoTypeAndValue({ infoType: OID.itImplicitConfirm, infoValue: null }))
  if (info.length) h.generalInfo = new InfoTypeAndValues(info)
  return h
}

/** Whether generalInfo carries id-it-implicitConfirm. */
export function hasImplicitConfirm(h: PKIHeader): boolean {
  return (h.generalInfo ?? []).some((i) => i.infoType === OID.itImplicitConfirm)
}

/**
 * Header for a reply: sender/recipient swapped, same transactionID, recipNonce = the request's
 * senderNonce, fresh senderNonce.
 */
export function buildReplyHeader(req: PKIHeader, o: Omit<HeaderOptions, 'transactionID' | 'recipNonce'> = {}): PKIHeader {
  return buildHeader({
    pvno: req.pvno,
    sender: req.recipient,
    recipient: req.sender,
    ...o,
    transactionID: req.transactionID ? bytes(req.transactionID) : undefined,
    recipNonce: req.senderNonce ? bytes(req.senderNonce) : undefined,
  })
}

export function buildMessage(header: PKIHeader, body: PKIBody, extraCerts?: Uint8Array[]): PKIMessage {
  const msg = new PKIMessage({ header, body })
  if (extraCerts?.length) msg.extraCerts = new CMPCertificates(extraCerts.map((c) => parseCertificateDer(c)))
  return msg
}

// ---------------------------------------------------------------------------------------------
// Korean VID randomNum in regInfo

const RANDOM_NUM_LENGTH = 20

/** DER BIT STRING (0 unused bits) holding the 20-byte randomNum. */
export function randomNumBitStringDer(randomNum: Uint8Array): Uint8Array {
  if (randomNum.length !== RANDOM_NUM_LENGTH) throw new CertError('BAD_REQUEST', 'randomNum must be 20 bytes')
  return Uint8Array.of(0x03, randomNum.length + 1, 0x00, ...randomNum)
}

/** Reads the 20-byte randomNum from a DER BIT STRING; throws BAD_REQUEST if it is anything else. */
export function randomNumFromBitStringDer(der: Uint8Array): Uint8Array {
  if (der.length !== RANDOM_NUM_LENGTH + 3 || der[0] !== 0x03 || der[1] !== RANDOM_NUM_LENGTH + 1 || der[2] !== 0) {
    throw new CertError('BAD_REQUEST', 'randomNum must be a 20-byte BIT STRING')
  }
  return der.slice(3)
}

/** Puts the randomNum into the CertReqMsg's regInfo (replacing an earlier one). */
export function setRandomNumRegInfo(msg: CertReqMsg, randomNum: Uint8Array): CertReqMsg {
  const others = (msg.regInfo ?? []).filter((a) => a.type !== OID.randomNum)
  others.push(new CrmfAttributeTypeAndValue({ type: OID.randomNum, value: ab(randomNumBitStringDer(randomNum)) }))
  msg.regInfo = new RegInfo(others)
  return msg
}

/** The randomNum from regInfo, or undefined when absent. Throws BAD_REQUEST when present but malformed or repeated. */
export function getRandomNumRegInfo(msg: CertReqMsg): Uint8Array | undefined {
  const found = (msg.regInfo ?? []).filter((a) => a.type === OID.randomNum)
  if (found.length === 0) return undefined
  if (found.length > 1) throw new CertError('BAD_REQUEST', 'randomNum appears more than once')
  const v = found[0]?.value
  if (!v) throw new CertError('BAD_REQUEST', 'randomNum must be a 20-byte BIT STRING')
  return randomNumFromBitStringDer(bytes(v))
}

// ---------------------------------------------------------------------------------------------
// Certificate requests (ir / cr / kur)

export interface CertRequestOptions {
  certReqId?: number
  /** SubjectPublicKeyInfo DER of the new key */
  publicKey: Uint8Array
  /** omitted or empty: the CA decides the DN */
  subject?: Name
  issuer?: Name
  notBefore?: Date
  notAfter?: Date
  extensions?: Extension[]
  /** kur: the certificate being updated (control id-regCtrl-oldCertID) */
  oldCert?: Uint8Array
}

export function buildCertRequest(o: CertRequestOptions): CertRequest {
  let publicKey: SubjectPublicKeyInfo
  try {
    publicKey = AsnConvert.parse(o.publicKey, SubjectPublicKeyInfo)
  } catch {
    throw new CertError('BAD_REQUEST', 'malformed public key')
  }
  const t = new CertTemplate({ publicKey })
  if (o.subject && o.subject.length > 0) t.subject = o.subject
  if (o.issuer) t.issuer = o.issuer
  if (o.notBefore || o.notAfter) {
    t.validity = new OptionalValidity()
    if (o.notBefore) t.validity.notBefore = new Time(o.notBefore)
    if (o.notAfter) t.validity.notAfter = new Time(o.notAfter)
  }
  if (o.extensions?.length) t.extensions = new Extensions(o.extensions)
  const req = new CertRequest({ certReqId: o.certReqId ?? 0, certTemplate: t })
  if (o.oldCert) req.controls = new Controls([oldCertIdControl(o.oldCert)])
  return req
}

/** id-regCtrl-oldCertID control naming a certificate (issuer as directoryName + serial). */
export function oldCertIdControl(certDer: Uint8Array): CrmfAttributeTypeAndValue {
  const cert = parseCertificateDer(certDer)
  const id = new CertId({ issuer: directoryName(cert.tbsCertificate.issuer), serialNumber: cert.tbsCertificate.serialNumber })
  return new CrmfAttributeTypeAndValue({ type: OID.regCtrlOldCertID, value: AsnConvert.serialize(id) })
}

/** The oldCertID control of a request, if any. */
export function getOldCertId(req: CertRequest): CertId | undefined {
  const c = (req.controls ?? []).find((a) => a.type === OID.regCtrlOldCertID)
  if (!c?.value) return undefined
  try {
    return AsnConvert.parse(c.value, CertId)
  } catch {
    throw new CertError('BAD_REQUEST', 'malformed oldCertID control')
  }
}

/** DER of the CertRequest (what a POPO signature covers when the template names the subject). */
export function certRequestDer(req: CertRequest): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(req))
}

/**
 * Builds a CertReqMsg with a signature POPO made by `sign` (the new key).
 * With a subject in the template the signature covers DER(certReq) (RFC 4211 4.1 case 3);
 * without one it covers a POPOSigningKeyInput whose authInfo is `sender` when given, otherwise
 * a PKMACValue over the public key under `pbmSecret` (RFC 4211 4.1 case 2).
 */
export async function buildCertReqMsg(
  req: CertRequest,
  sign: Signer,
  o: { algorithm?: AlgorithmIdentifier; sender?: GeneralName; pbmSecret?: Uint8Array | string; pbm?: PbmOptions; randomNum?: Uint8Array } = {},
): Promise<CertReqMsg> {
  const algorithm = o.algorithm ?? sha256WithRsaAlgorithm()
  const t = req.certTemplate
  let popo: POPOSigningKey
  if (t.subject && t.subject.length > 0) {
    popo = new POPOSigningKey({ algorithmIdentifier: algorithm, signature: new BitString(await sign(certRequestDer(req))) })
  } else {
    if (!t.publicKey) throw new CertError('BAD_REQUEST', 'certificate request has no public key')
    const input = new POPOSigningKeyInput({ publicKey: t.publicKey })
    if (o.sender) input.authInfo = new POPOSigningKeyInputAuthInfo({ sender: o.sender })
    else if (o.pbmSecret !== undefined) input.authInfo = new POPOSigningKeyInputAuthInfo({ publicKeyMAC: publicKeyMac(t.publicKey, o.pbmSecret, o.pbm) })
    else throw new CertError('BAD_REQUEST', 'a request without subject needs a sender or a shared secret for its POPO')
    const signed = new Uint8Array(AsnConvert.serialize(input))
    popo = new POPOSigningKey({ poposkInput: input, algorithmIdentifier: algorithm, signature: new BitString(await sign(signed)) })
  }
  const msg = new CertReqMsg({ certReq: req, popo: new ProofOfPossession({ signature: popo }) })
  if (o.randomNum) setRandomNumRegInfo(msg, o.randomNum)
  return msg
}

/** PKMACValue: PBM (algId = id-PasswordBasedMac with its parameters) over the DER of the public key. */
export function publicKeyMac(spki: SubjectPublicKeyInfo, secret: Uint8Array | string, opts?: PbmOptions): PKMACValue {
  const param = newPbmParameter(opts)
  const mac = computePbm(param, secret, new Uint8Array(AsnConvert.serialize(spki)), { minIterations: 1, maxIterations: Number.MAX_SAFE_INTEGER }, opts?.hashes)
  return new PKMACValue({ algId: pbmAlgorithm(param), value: new BitString(mac) })
}

/**
 * What the verifier of a CertReqMsg's POPO needs. `kind: 'signature'` gives the signed bytes
 * (DER of certReq as received, or of poposkInput), the algorithm, the signature and the public
 * key the template carries; 'raVerified' and 'none' carry nothing.
 */
export type PopoCheck =
  | { kind: 'signature'; algorithm: AlgorithmIdentifier; data: Uint8Array; signature: Uint8Array; publicKey: Uint8Array; input?: POPOSigningKeyInput }
  | { kind: 'raVerified' }
  | { kind: 'other' }
  | { kind: 'none' }

export function popoCheck(msg: CertReqMsg): PopoCheck {
  const p = msg.popo
  if (!p) return { kind: 'none' }
  if (p.raVerified !== undefined) return { kind: 'raVerified' }
  const s = p.signature
  if (!s) return { kind: 'other' }
  const t = msg.certReq.certTemplate
  // The received bytes when the fast decoder kept them, otherwise the schema's re-encoding.
  const templateKey = t.publicKey ? (t.publicKeyDer ?? new Uint8Array(AsnConvert.serialize(t.publicKey))) : undefined
  if (s.poposkInput) {
    const inputKey = s.poposkInput.publicKeyDer ?? new Uint8Array(AsnConvert.serialize(s.poposkInput.publicKey))
    if (templateKey && !bytesEqual(templateKey, inputKey)) throw new CertError('BAD_REQUEST', 'POPO public key differs from the template')
    return {
      kind: 'signature',
      algorithm: s.algorithmIdentifier,
      data: s.poposkInputDer ?? new Uint8Array(AsnConvert.serialize(s.poposkInput)),
      signature: new Uint8Array(s.signature.value),
      publicKey: inputKey,
      input: s.poposkInput,
    }
  }
  if (!templateKey) throw new CertError('BAD_REQUEST', 'certificate request has no public key')
  return {
    kind: 'signature',
    algorithm: s.algorithmIdentifier,
    data: msg.certReqRaw ? bytes(msg.certReqRaw) : certRequestDer(msg.certReq),
    signature: new Uint8Array(s.signature.value),
    publicKey: templateKey,
  }
}

/** Verifies a PKMACValue (POPOSigningKeyInput.publicKeyMAC) against the shared secret. */
export function verifyPublicKeyMac(
  input: POPOSigningKeyInput,
  secret: Uint8Array | string,
  limits: PbmLimits = PBM_LIMITS,
  o: { hashes?: PbmHashes; publicKeyDer?: Uint8Array } = {},
): boolean {
  const m = input.authInfo.publicKeyMAC
  if (!m) return false
  const param = parsePbmAlgorithm(m.algId)
  // publicKeyDer: the DER of input.publicKey when the caller already encoded it (popoCheck does)
  const mac = computePbm(param, secret, o.publicKeyDer ?? new Uint8Array(AsnConvert.serialize(input.publicKey)), limits, o.hashes)
  return m.value.unusedBits === 0 && constantTimeEqual(mac, new Uint8Array(m.value.value))
}

function bodyOf(type: 'ir' | 'cr' | 'kur', msgs: CertReqMsg[]): PKIBody {
  return new PKIBody({ [type]: new CertReqMessages(msgs) })
}

export const buildIrBody = (msgs: CertReqMsg[]): PKIBody => bodyOf('ir', msgs)
export const buildCrBody = (msgs: CertReqMsg[]): PKIBody => bodyOf('cr', msgs)
export const buildKurBody = (msgs: CertReqMsg[]): PKIBody => bodyOf('kur', msgs)

// ---------------------------------------------------------------------------------------------
// Certificate responses (ip / cp / kup), confirmation

export interface CertResponseOptions {
  certReqId?: number
  status: PKIStatusInfo
  /** issued certificate DER (when accepted) */
  cert?: Uint8Array
}

export function buildCertRepBody(type: 'ip' | 'cp' | 'kup', responses: CertResponseOptions[], caPubs?: Uint8Array[]): PKIBody {
  const rep = new CertRepMessage({
    response: new CertResponses(
      responses.map((r) => {
        const cr = new CertResponse({ certReqId: r.certReqId ?? 0, status: r.status })
        if (r.cert) cr.certifiedKeyPair = new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: parseCertificateDer(r.cert) }) })
        return cr
      }),
    ),
  })
  if (caPubs?.length) rep.caPubs = new CMPCertificates(caPubs.map((c) => parseCertificateDer(c)))
  return new PKIBody({ [type]: rep })
}

/** The CertRepMessage of an ip/cp/kup/ccp body, or undefined. */
export function certRepOf(body: PKIBody): CertRepMessage | undefined {
  return body.ip ?? body.cp ?? body.kup ?? body.ccp
}

/** The issued certificate DER in a CertResponse, if it carries a plain certificate. */
export function issuedCertDer(resp: CertResponse): Uint8Array | undefined {
  const c = resp.certifiedKeyPair?.certOrEncCert.certificate
  return c ? certificateDer(c) : undefined
}

const HASH_BY_SIG_OID: Record<string, (d: Uint8Array) => Uint8Array> = {
  [OID.sha1WithRSAEncryption]: sha1,
  [OID.ecdsaWithSHA1]: sha1,
  [OID.sha256WithRSAEncryption]: sha256,
  [OID.ecdsaWithSHA256]: sha256,
  [OID.sha384WithRSAEncryption]: sha384,
  [OID.ecdsaWithSHA384]: sha384,
  [OID.sha512WithRSAEncryption]: sha512,
  [OID.ecdsaWithSHA512]: sha512,
}

/**
 * certHash for certConf: in CMP v2 the hash is the one of the certificate's signature
 * algorithm (RFC 4210 5.3.18); SHA-256 when that algorithm does not name one (e.g. Ed25519, PSS).
 */
export function certConfHash(certDer: Uint8Array): Uint8Array {
  const cert = parseCertificateDer(certDer)
  const h = HASH_BY_SIG_OID[cert.signatureAlgorithm.algorithm] ?? sha256
  return h(certDer)
}

export function buildCertConfBody(entries: { certReqId?: number; certHash: Uint8Array; status?: PKIStatusInfo }[]): PKIBody {
  return new PKIBody({
    certConf: new CertConfirmContent(
      entries.map((e) => {
        const cs = new CertStatus({ certHash: ab(e.certHash), certReqId: e.certReqId ?? 0 })
        if (e.status) cs.statusInfo = e.status
        return cs
      }),
    ),
  })
}

export function buildPkiConfBody(): PKIBody {
  return new PKIBody({ pkiconf: null })
}

// ---------------------------------------------------------------------------------------------
// Revocation

export function buildRrBody(certDer: Uint8Array, reason?: number): PKIBody {
  const cert = parseCertificateDer(certDer)
  const details = new RevDetails({
    certDetails: new CertTemplate({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }),
  })
  if (reason !== undefined) {
    if (!Number.isInteger(reason) || reason < 0 || reason > 10 || reason === 7) throw new CertError('BAD_REQUEST', 'invalid revocation reason')
    // CRLReason ENUMERATED, DER
    details.crlEntryDetails = new Extensions([new Extension({ extnID: OID.crlReason, critical: false, extnValue: new OctetString(Uint8Array.of(0x0a, 0x01, reason)) })])
  }
  return new PKIBody({ rr: new RevReqContent([details]) })
}

/** CRLReason from RevDetails.crlEntryDetails, or undefined. */
export function revocationReason(d: RevDetails): number | undefined {
  const ext = (d.crlEntryDetails ?? []).find((e) => e.extnID === OID.crlReason)
  if (!ext) return undefined
  const v = new Uint8Array(ext.extnValue.buffer)
  if (v.length !== 3 || v[0] !== 0x0a || v[1] !== 1) throw new CertError('BAD_REQUEST', 'malformed CRL reason')
  return v[2]
}

export function buildRpBody(statuses: PKIStatusInfo[], revCerts?: CertId[]): PKIBody {
  const rp = new RevRepContent({ status: new PKIStatusInfos(statuses) })
  if (revCerts?.length) rp.revCerts = new CertIds(revCerts)
  return new PKIBody({ rp })
}

// ---------------------------------------------------------------------------------------------
// General messages, errors, polling

export function buildGenmBody(infos: InfoTypeAndValue[] = []): PKIBody {
  return new PKIBody({ genm: new GenMsgContent(infos) })
}

export function buildGenpBody(infos: InfoTypeAndValue[] = []): PKIBody {
  return new PKIBody({ genp: new GenRepContent(infos) })
}

/** genp value for id-it-caCerts: SEQUENCE OF Certificate DER. */
export function caCertsInfo(certs: Uint8Array[]): InfoTypeAndValue {
  return new InfoTypeAndValue({ infoType: OID.itCaCerts, infoValue: AsnConvert.serialize(new CMPCertificates(certs.map((c) => parseCertificateDer(c)))) })
}

/** Certificates from an id-it-caCerts InfoTypeAndValue (empty when absent). */
export function caCertsFromInfo(info: InfoTypeAndValue): Uint8Array[] {
  if (!info.infoValue) return []
  return Array.from(AsnConvert.parse(info.infoValue, CMPCertificates), (c) => certificateDer(c))
}

export function buildErrorBody(status: PKIStatusInfo, o: { errorCode?: bigint; details?: string[] } = {}): PKIBody {
  const e = new ErrorMsgContent({ pKIStatusInfo: status })
  if (o.errorCode !== undefined) e.errorCode = o.errorCode
  if (o.details?.length) e.errorDetails = new PKIFreeText(o.details)
  return new PKIBody({ error: e })
}

/** One line for an error body: statusString/failInfo, then errorDetails. */
export function errorText(e: ErrorMsgContent): string {
  const head = statusText(e.pKIStatusInfo)
  const details = Array.from(e.errorDetails ?? []).filter((d) => d !== '' && !head.includes(d))
  return details.length ? `${head}: ${details.join('; ')}` : head
}

export function buildPollReqBody(certReqIds: number[] = [0]): PKIBody {
  return new PKIBody({ pollReq: new PollReqContent(certReqIds.map((certReqId) => new PollReqEntry({ certReqId }))) })
}

export function buildPollRepBody(entries: { certReqId?: number; checkAfter: number; reason?: string }[]): PKIBody {
  return new PKIBody({
    pollRep: new PollRepContent(
      entries.map((e) => {
        const r = new PollRepEntry({ certReqId: e.certReqId ?? 0, checkAfter: e.checkAfter })
        if (e.reason) r.reason = new PKIFreeText([e.reason])
        return r
      }),
    ),
  })
}
