import { randomBytes } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { GeneralName, SubjectKeyIdentifier, id_ce_subjectKeyIdentifier } from '@peculiar/asn1-x509'
import {
  InfoTypeAndValue,
  InfoTypeAndValues,
  OID,
  PBMParameter,
  PKIBody,
  PKIHeader,
  PKIStatus,
  PKIStatusInfo,
  type PKIFailureInfoName,
} from '../../shared/cmp/asn1'
import { buildErrorBody, statusInfo } from '../../shared/cmp/messages'
import { computePbm, pbmAlgorithm, type PbmHashes, type PbmLimits } from '../../shared/cmp/pbm'
import type { Ca } from '../ca/ca'
import { nodePbmHashes } from './pbm-hashes'
import { ab, u8 } from '../../shared/der/bytes'
import * as der from '../../shared/der/writer'

/** A refusal to be sent back as an `error` body (or a rejection status inside ip/kup/rp). */
export class CmpFailure extends Error {
  constructor(
    readonly failInfo: PKIFailureInfoName,
    message: string,
  ) {
    super(message)
    this.name = 'CmpFailure'
  }
}

export const rejection = (failInfo: PKIFailureInfoName, text: string): PKIStatusInfo => statusInfo(PKIStatus.rejection, text, [failInfo])

export const accepted = (): PKIStatusInfo => statusInfo(PKIStatus.accepted)

/** How a response is protected: with the request's PBM secret, or with the CA's signature. */
export type Protection =
  /** parametersDer: the request's PBMParameter as received, echoed in the answer's protectionAlg. */
  | { kind: 'pbm'; secret: string; param: PBMParameter; parametersDer?: Uint8Array }
  | { kind: 'signature' }

export interface ResponseOptions {
  ca: Ca
  pvno: number
  /** Request header: its sender, transactionID and senderNonce are echoed. */
  request: PKIHeader | undefined
  protection: Protection
  pbmLimits: PbmLimits
  implicitConfirm?: boolean
  /** Certificates for extraCerts (the CA certificate is always included). */
  extraCerts?: Uint8Array[]
  /** Our senderNonce; 16 fresh random bytes when not given. */
  senderNonce?: Uint8Array
  /** PBM primitives; the exchange's own (sharing the request's derived key) when given. */
  pbmHashes?: PbmHashes
}

const keyIds = new WeakMap<Ca, ArrayBuffer | undefined>()

function caKeyId(ca: Ca): ArrayBuffer | undefined {
  if (keyIds.has(ca)) return keyIds.get(ca)
  const ext = ca.cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier)
  const id = ext ? ab(u8(AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer)) : undefined
  keyIds.set(ca, id)
  return id
}

const parts = new WeakMap<Ca, { senderDer: Uint8Array; sigAlgDer: Uint8Array }>()

function caParts(ca: Ca): { senderDer: Uint8Array; sigAlgDer: Uint8Array } {
  let p = parts.get(ca)
  if (!p) {
    p = { senderDer: u8(AsnConvert.serialize(new GeneralName({ directoryName: ca.name }))), sigAlgDer: u8(AsnConvert.serialize(ca.signatureAlgorithm)) }
    parts.set(ca, p)
  }
  return p
}

const IMPLICIT_CONFIRM_DER = u8(AsnConvert.serialize(new InfoTypeAndValues([new InfoTypeAndValue({ infoType: OID.itImplicitConfirm, infoValue: null })])))

/** GeneralizedTime in whole seconds, YYYYMMDDHHMMSSZ (RFC 4210 messageTime). */
function derGeneralizedTime(ms: number): Uint8Array {
  const text = new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:T]/g, '').replace('.000Z', 'Z')
  return der.tlv(0x18, new TextEncoder().encode(text))
}

/**
 * Builds, protects and encodes a response. The DER is assembled from the exact header and body
 * bytes that were MACed or signed, so a re-encoding difference can never break the protection.
 */
export function buildResponse(body: PKIBody | Uint8Array, o: ResponseOptions): { der: Uint8Array; senderNonce: Uint8Array } {
  const senderNonce = o.senderNonce ?? new Uint8Array(randomBytes(16))
  const fixed = caParts(o.ca)
  let pbmParam: PBMParameter | undefined
  let protectionAlgDer: Uint8Array
  let senderKID: ArrayBuffer | undefined
  if (o.protection.kind === 'pbm') {
    // The client's own PBMParameter, salt included: its salt is already fresh per message, and
    // with the same key on both sides the derivation (hundreds of hash rounds) runs once per
    // exchange. A MACed answer cannot be reflected back as a request: every CMP body type
    // travels in one direction only, and the answer's nonces bind it to this request.
    pbmParam = o.protection.param
    protectionAlgDer = o.protection.parametersDer
      ? der.sequence(der.oid(OID.passwordBasedMac), o.protection.parametersDer)
      : u8(AsnConvert.serialize(pbmAlgorithm(pbmParam)))
  } else {
    protectionAlgDer = fixed.sigAlgDer
    senderKID = caKeyId(o.ca)
  }
  // PKIHeader assembled from DER parts (every tagged field is EXPLICIT in the CMP module); the
  // CA's own parts are encoded once. Field order and encodings are those of the schema.
  const req = o.request
  const opt = (tag: number, v: ArrayBuffer | undefined) => (v ? [der.tlv(tag, der.tlv(0x04, u8(v)))] : [])
  const headerDer = der.sequence(
    derInteger(o.pvno),
    fixed.senderDer,
    req?.senderDer ?? (req?.sender ? u8(AsnConvert.serialize(req.sender)) : fixed.senderDer),
    der.tlv(0xa0, derGeneralizedTime(Date.now())),
    der.tlv(0xa1, protectionAlgDer),
    ...opt(0xa2, senderKID),
    ...opt(0xa4, req?.transactionID),
    ...opt(0xa5, ab(senderNonce)),
    ...opt(0xa6, req?.senderNonce),
    ...(o.implicitConfirm ? [der.tlv(0xa8, IMPLICIT_CONFIRM_DER)] : []),
  )
  const bodyDer = body instanceof Uint8Array ? body : u8(AsnConvert.serialize(body))
  const protectedPart = der.sequence(headerDer, bodyDer)
  let protection: Uint8Array
  if (o.protection.kind === 'pbm' && pbmParam) {
    protection = computePbm(pbmParam, o.protection.secret, protectedPart, o.pbmLimits, o.pbmHashes ?? nodePbmHashes)
  } else {
    protection = o.ca.sign(protectedPart)
  }
  const extra = [o.ca.caCertDer(), ...(o.extraCerts ?? [])]
  const message = der.sequence(headerDer, bodyDer, der.tlv(0xa0, der.bitString(protection)), der.tlv(0xa1, der.sequence(...extra)))
  return { der: message, senderNonce }
}

export function errorBody(failInfo: PKIFailureInfoName, text: string): PKIBody {
  return buildErrorBody(rejection(failInfo, text), { details: [text] })
}

const BODY_TAG = { ip: 0xa1, cp: 0xa3, kup: 0xa8 } as const

function derInteger(n: number): Uint8Array {
  // certReqId is 0 or -1 in practice; small two's complement integers.
  if (n >= -128 && n <= 127) return der.tlv(0x02, new Uint8Array([n & 0xff]))
  const bytes: number[] = []
  let v = n
  do {
    bytes.unshift(v & 0xff)
    v >>= 8
  } while (!((v === 0 && (bytes[0]! & 0x80) === 0) || (v === -1 && (bytes[0]! & 0x80) !== 0)))
  return der.tlv(0x02, new Uint8Array(bytes))
}

/**
 * DER of an ip/cp/kup body accepting one certificate, with the CA certificate in caPubs:
 * CertRepMessage { caPubs [1] { caCert }, response { CertResponse { certReqId, { accepted }, CertifiedKeyPair { [0] cert } } } }
 */
export function certRepBodyDer(type: 'ip' | 'cp' | 'kup', certReqId: number, certDer: Uint8Array, caCertDer: Uint8Array): Uint8Array {
  const status = der.sequence(derInteger(PKIStatus.accepted))
  const ckp = der.sequence(der.tlv(0xa0, certDer))
  const response = der.sequence(der.sequence(derInteger(certReqId), status, ckp))
  return der.tlv(BODY_TAG[type], der.sequence(der.tlv(0xa1, der.sequence(caCertDer)), response))
}
