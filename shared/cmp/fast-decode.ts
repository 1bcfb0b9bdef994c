import { AsnConvert, BitString } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier, Extensions, GeneralName, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509'
import {
  CertReqMessages,
  CertReqMsg,
  CertRequest,
  CertTemplate,
  CMPCertificates,
  Controls,
  CrmfAttributeTypeAndValue,
  InfoTypeAndValue,
  InfoTypeAndValues,
  OptionalValidity,
  PBMParameter,
  PKIBody,
  PKIHeader,
  PKIMessage,
  PKMACValue,
  POPOSigningKey,
  POPOSigningKeyInput,
  POPOSigningKeyInputAuthInfo,
  ProofOfPossession,
  RegInfo,
} from './asn1'
import { asSequence, contentBuffer, DerError, element, elementBuffer, inside, readInt, readOid, readTlv, single, type Tlv } from '../der/reader'

/**
 * A direct DER reader for the requests a certification center receives most: ir and cr with
 * the header fields clients send. It builds the same objects the schema parser builds (a test
 * checks that they re-encode to the received bytes) in a small fraction of the time, because
 * the schema parser first builds and checks a generic tree of the whole message. It keeps the
 * exact received bytes the protection and POPO checks need, so they are not re-encoded.
 *
 * Anything it does not handle, or that is not minimal DER, returns undefined and the caller
 * uses the schema parser, which accepts and judges everything.
 */
export function fastDecodePKIMessage(der: Uint8Array): PKIMessage | undefined {
  try {
    return readMessage(der)
  } catch {
    // DerError, or a piece the schema parser refused: the whole message goes to the schema parser.
    return undefined
  }
}

const NULL_DN = [0xa4, 0x02, 0x30, 0x00]

function readMessage(der: Uint8Array): PKIMessage | undefined {
  const outer = readTlv(der, 0)
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new DerError('left to the schema parser')
  const c = inside(outer)
  const headerTlv = c.next(0x30)
  const bodyTlv = c.next()
  const body = readBody(der, bodyTlv)
  if (!body) return undefined
  const msg = new PKIMessage({ header: readHeader(der, headerTlv), headerRaw: element(headerTlv), body, bodyRaw: element(bodyTlv) })
  const protection = c.optional(0xa0)
  if (protection) {
    const p = inside(protection)
    msg.protection = bitString(der, p.next(0x03))
    p.finish()
  }
  const extra = c.optional(0xa1)
  if (extra) msg.extraCerts = AsnConvert.parse(element(single(extra, 0x30)), CMPCertificates)
  c.finish()
  return msg
}

function readHeader(der: Uint8Array, t: Tlv): PKIHeader {
  const c = inside(t)
  const h = new PKIHeader()
  h.pvno = readInt(c.next(0x02), 4)
  const sender = c.next()
  h.sender = generalName(der, sender)
  h.senderDer = element(sender)
  h.recipient = generalName(der, c.next())
  const time = c.optional(0xa0)
  if (time) h.messageTime = generalizedTime(der, single(time, 0x18))
  const alg = c.optional(0xa1)
  if (alg) h.protectionAlg = algorithmIdentifier(der, single(alg, 0x30))
  const octets = (tag: number): ArrayBuffer | undefined => {
    const e = c.optional(tag)
    if (!e) return undefined
    const s = single(e, 0x04)
    return contentBuffer(s)
  }
  h.senderKID = octets(0xa2)
  h.recipKID = octets(0xa3)
  h.transactionID = octets(0xa4)
  h.senderNonce = octets(0xa5)
  h.recipNonce = octets(0xa6)
  if (c.optional(0xa7)) throw new DerError('left to the schema parser') // freeText: rare, left to the schema parser
  const info = c.optional(0xa8)
  if (info) {
    const list = inside(single(info, 0x30))
    const items: InfoTypeAndValue[] = []
    while (!list.done) {
      const item = inside(list.next(0x30))
      const itv = new InfoTypeAndValue({ infoType: readOid(item.next(0x06)) })
      if (!item.done) itv.infoValue = anyValue(der, item.next())
      item.finish()
      items.push(itv)
    }
    h.generalInfo = new InfoTypeAndValues(items)
  }
  c.finish()
  return h
}

/** ir [0] and cr [2]; every other body is left to the schema parser. */
function readBody(der: Uint8Array, t: Tlv): PKIBody | undefined {
  if (t.tag !== 0xa0 && t.tag !== 0xa2) return undefined
  const list = inside(single(t, 0x30))
  const msgs: CertReqMsg[] = []
  while (!list.done) msgs.push(certReqMsg(der, list.next(0x30)))
  if (msgs.length === 0) throw new DerError('left to the schema parser')
  const reqs = new CertReqMessages(msgs)
  return new PKIBody(t.tag === 0xa0 ? { ir: reqs } : { cr: reqs })
}

function certReqMsg(der: Uint8Array, t: Tlv): CertReqMsg {
  const c = inside(t)
  const reqTlv = c.next(0x30)
  const msg = new CertReqMsg({ certReq: certRequest(der, reqTlv), certReqRaw: element(reqTlv) })
  if (!c.done && c.peek() !== 0x30) msg.popo = proofOfPossession(der, c.next())
  const reg = c.optional(0x30)
  if (reg) msg.regInfo = new RegInfo(attributes(der, reg))
  c.finish()
  return msg
}

function certRequest(der: Uint8Array, t: Tlv): CertRequest {
  const c = inside(t)
  const req = new CertRequest({ certReqId: readInt(c.next(0x02), 4) })
  const tpl = inside(c.next(0x30))
  const template = new CertTemplate()
  // Only the fields clients put in an enrollment template; others go to the schema parser.
  const issuer = tpl.optional(0xa3)
  if (issuer) template.issuer = AsnConvert.parse(element(single(issuer, 0x30)), Name)
  const validity = tpl.optional(0xa4)
  if (validity) template.validity = AsnConvert.parse(asSequence(validity), OptionalValidity)
  const subject = tpl.optional(0xa5)
  if (subject) template.subject = AsnConvert.parse(element(single(subject, 0x30)), Name)
  const key = tpl.optional(0xa6)
  if (key) {
    template.publicKey = spki(der, key)
    template.publicKeyDer = asSequence(key)
  }
  const ext = tpl.optional(0xa9)
  if (ext) template.extensions = AsnConvert.parse(asSequence(ext), Extensions)
  tpl.finish()
  req.certTemplate = template
  const controls = c.optional(0x30)
  if (controls) req.controls = new Controls(attributes(der, controls))
  c.finish()
  return req
}

function proofOfPossession(der: Uint8Array, t: Tlv): ProofOfPossession {
  if (t.tag === 0x80) {
    if (t.end !== t.start) throw new DerError('left to the schema parser')
    return new ProofOfPossession({ raVerified: null })
  }
  if (t.tag !== 0xa1) throw new DerError('left to the schema parser')
  const c = inside(t)
  const popo = new POPOSigningKey()
  const input = c.optional(0xa0)
  if (input) {
    const i = inside(input)
    const auth = new POPOSigningKeyInputAuthInfo()
    const a = i.next()
    if (a.tag === 0xa0) auth.sender = generalName(der, single(a))
    else if (a.tag === 0x30) {
      const m = inside(a)
      auth.publicKeyMAC = new PKMACValue({ algId: algorithmIdentifier(der, m.next(0x30)), value: bitString(der, m.next(0x03)) })
      m.finish()
    } else throw new DerError('left to the schema parser')
    const keyTlv = i.next(0x30)
    i.finish()
    popo.poposkInput = new POPOSigningKeyInput({ authInfo: auth, publicKey: spki(der, keyTlv) })
    popo.poposkInput.publicKeyDer = element(keyTlv)
    popo.poposkInputDer = asSequence(input)
  }
  popo.algorithmIdentifier = algorithmIdentifier(der, c.next(0x30))
  popo.signature = bitString(der, c.next(0x03))
  c.finish()
  return new ProofOfPossession({ signature: popo })
}

function attributes(der: Uint8Array, t: Tlv): CrmfAttributeTypeAndValue[] {
  const c = inside(t)
  const out: CrmfAttributeTypeAndValue[] = []
  while (!c.done) {
    const a = inside(c.next(0x30))
    out.push(new CrmfAttributeTypeAndValue({ type: readOid(a.next(0x06)), value: anyValue(der, a.next()) }))
    a.finish()
  }
  if (out.length === 0) throw new DerError('left to the schema parser')
  return out
}

/** GeneralName: the NULL-DN clients send directly, anything else through the schema. */
function generalName(der: Uint8Array, t: Tlv): GeneralName {
  if (t.end - t.at === 4 && NULL_DN.every((b, k) => der[t.at + k] === b)) return new GeneralName({ directoryName: new Name() })
  return AsnConvert.parse(element(t), GeneralName)
}

function algorithmIdentifier(der: Uint8Array, t: Tlv): AlgorithmIdentifier {
  const c = inside(t)
  const alg = new AlgorithmIdentifier({ algorithm: readOid(c.next(0x06)) })
  if (!c.done) alg.parameters = anyValue(der, c.next())
  c.finish()
  return alg
}

/** ANY: NULL as null, everything else as its whole DER element (what the schema parser keeps). */
function anyValue(der: Uint8Array, t: Tlv): ArrayBuffer | null {
  if (t.tag === 0x05) {
    if (t.end !== t.start) throw new DerError('left to the schema parser')
    return null
  }
  wellFormed(der, t, 0)
  return elementBuffer(t)
}

/**
 * Opaque values are still read through: the schema parser decodes every element of a message,
 * so a value it could not read must not get through here either.
 */
function wellFormed(der: Uint8Array, t: Tlv, depth: number): void {
  if (depth > 16) throw new DerError('left to the schema parser')
  if (t.tag & 0x20) {
    const c = inside(t)
    while (!c.done) wellFormed(der, c.next(), depth + 1)
    return
  }
  const len = t.end - t.start
  switch (t.tag) {
    case 0x01:
      if (len !== 1) throw new DerError('left to the schema parser')
      break
    case 0x02:
      if (len < 1 || len > 8) throw new DerError('left to the schema parser')
      break
    case 0x03:
      if (len < 1 || der[t.start]! > 7) throw new DerError('left to the schema parser')
      break
    case 0x05:
      if (len !== 0) throw new DerError('left to the schema parser')
      break
    case 0x06:
      readOid(t)
      break
    default:
      // Strings and times: only the common universal kinds; the schema parser judges the rest.
      if (![0x04, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e].includes(t.tag)) throw new DerError('left to the schema parser')
  }
}

function spki(der: Uint8Array, t: Tlv): SubjectPublicKeyInfo {
  const c = inside(t)
  const algorithm = algorithmIdentifier(der, c.next(0x30))
  const bits = c.next(0x03)
  c.finish()
  // The schema keeps the key bits without their unused-bits count, so only whole bytes fit here.
  if (bits.end === bits.start || der[bits.start] !== 0) throw new DerError('left to the schema parser')
  return new SubjectPublicKeyInfo({ algorithm, subjectPublicKey: bits.buf.slice(bits.start + 1, bits.end).buffer })
}

function bitString(der: Uint8Array, t: Tlv): BitString {
  if (t.end === t.start) throw new DerError('left to the schema parser')
  const unused = der[t.start]!
  if (unused > 7 || (unused > 0 && t.end - t.start === 1)) throw new DerError('left to the schema parser')
  return new BitString(t.buf.slice(t.start + 1, t.end).buffer, unused)
}

/** GeneralizedTime in the one DER form, YYYYMMDDHHMMSSZ. */
function generalizedTime(der: Uint8Array, t: Tlv): Date {
  if (t.end - t.start !== 15 || der[t.end - 1] !== 0x5a) throw new DerError('left to the schema parser')
  const digits = new TextDecoder().decode(der.subarray(t.start, t.end - 1))
  if (!/^\d{14}$/.test(digits)) throw new DerError('left to the schema parser')
  const n = (a: number, b: number) => Number(digits.slice(a, b))
  const ms = Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14))
  const d = new Date(ms)
  // A calendar overflow (month 13, 31 February) would silently roll over; the schema parser decides those.
  if (d.getUTCMonth() !== n(4, 6) - 1 || d.getUTCDate() !== n(6, 8) || d.getUTCHours() !== n(8, 10) || n(10, 12) > 59 || n(12, 14) > 59) throw new DerError('left to the schema parser')
  return d
}

/** PBMParameter from the DER of an AlgorithmIdentifier's parameters; undefined when the schema parser must judge it. */
export function fastPbmParameter(params: Uint8Array): PBMParameter | undefined {
  try {
    const outer = readTlv(params, 0)
    if (outer.tag !== 0x30 || outer.end !== params.length) return undefined
    const c = inside(outer)
    const salt = c.next(0x04)
    const owf = algorithmIdentifier(params, c.next(0x30))
    const iterationCount = readInt(c.next(0x02), 4)
    const mac = algorithmIdentifier(params, c.next(0x30))
    c.finish()
    return new PBMParameter({ salt: contentBuffer(salt), owf, iterationCount, mac })
  } catch (err) {
    if (err instanceof DerError) return undefined
    throw err
  }
}
