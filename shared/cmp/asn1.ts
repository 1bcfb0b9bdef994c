/**
 * ASN.1 schemas for CMP (RFC 4210 / RFC 9810) and CRMF (RFC 4211), on @peculiar/asn1-schema.
 *
 * Tagging follows the source modules: PKIXCMP is EXPLICIT TAGS, PKIXCRMF is IMPLICIT TAGS
 * (a tag in front of a CHOICE such as Name, GeneralName or Time is always explicit).
 * Serial numbers are kept as raw INTEGER bytes (ArrayBuffer), never JS numbers. Rarely used
 * alternatives (encrypted keys, announcements, nested messages) are kept as opaque DER (`Any`)
 * so that every message still decodes and re-encodes unchanged.
 *
 * The schema decorators are applied as plain calls after each class: the CLI runs under tsx,
 * which reads the root tsconfig.json (no experimentalDecorators), so `@AsnProp` syntax would
 * be compiled as standard decorators that asn1-schema does not understand.
 */
import {
  AsnArray,
  AsnIntegerArrayBufferConverter,
  AsnIntegerBigIntConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  BitString,
} from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier,
  Certificate,
  CertificateList,
  Extensions,
  GeneralName,
  Name,
  SubjectPublicKeyInfo,
  Time,
} from '@peculiar/asn1-x509'
import { CertificationRequest } from '@peculiar/asn1-csr'

// ---------------------------------------------------------------------------------------------
// Object identifiers

/** The one OID table (shared/der/oids.ts), re-exported for the CMP structures' users. */
export { OID } from '../der/oids'

// ---------------------------------------------------------------------------------------------
// Common pieces

/** PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String */
export class PKIFreeText extends AsnArray<string> {
  constructor(items?: string[]) {
    super(items)
    Object.setPrototypeOf(this, PKIFreeText.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })(PKIFreeText)

/** SEQUENCE OF CMPCertificate (CMPCertificate is X.509 Certificate in every profile we meet) */
export class CMPCertificates extends AsnArray<Certificate> {
  constructor(items?: Certificate[]) {
    super(items)
    Object.setPrototypeOf(this, CMPCertificates.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: Certificate })(CMPCertificates)

/** InfoTypeAndValue ::= SEQUENCE { infoType OID, infoValue ANY DEFINED BY infoType OPTIONAL } */
export class InfoTypeAndValue {
  infoType = ''

  /** DER of the value; `null` decodes from and encodes to ASN.1 NULL. */
  infoValue?: ArrayBuffer | null

  constructor(params: Partial<InfoTypeAndValue> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(InfoTypeAndValue.prototype, 'infoType')
AsnProp({ type: AsnPropTypes.Any, optional: true })(InfoTypeAndValue.prototype, 'infoValue')

export class InfoTypeAndValues extends AsnArray<InfoTypeAndValue> {
  constructor(items?: InfoTypeAndValue[]) {
    super(items)
    Object.setPrototypeOf(this, InfoTypeAndValues.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })(InfoTypeAndValues)

/** PKIStatus values */
export const PKIStatus = {
  accepted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
  keyUpdateWarning: 6,
} as const

/** PKIFailureInfo bit names, index = bit number */
export const PKI_FAILURE_INFO_NAMES = [
  'badAlg',
  'badMessageCheck',
  'badRequest',
  'badTime',
  'badCertId',
  'badDataFormat',
  'wrongAuthority',
  'incorrectData',
  'missingTimeStamp',
  'badPOP',
  'certRevoked',
  'certConfirmed',
  'wrongIntegrity',
  'badRecipientNonce',
  'timeNotAvailable',
  'unacceptedPolicy',
  'unacceptedExtension',
  'addInfoNotAvailable',
  'badSenderNonce',
  'badCertTemplate',
  'signerNotTrusted',
  'transactionIdInUse',
  'unsupportedVersion',
  'notAuthorized',
  'systemUnavail',
  'systemFailure',
  'duplicateCertReq',
] as const
export type PKIFailureInfoName = (typeof PKI_FAILURE_INFO_NAMES)[number]

/** PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL } */
export class PKIStatusInfo {
  status: number = PKIStatus.accepted

  statusString?: PKIFreeText

  /** PKIFailureInfo named BIT STRING; see failInfoNames() / makeFailInfo() in messages.ts */
  failInfo?: BitString

  constructor(params: Partial<PKIStatusInfo> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer })(PKIStatusInfo.prototype, 'status')
AsnProp({ type: PKIFreeText, optional: true })(PKIStatusInfo.prototype, 'statusString')
AsnProp({ type: BitString, optional: true })(PKIStatusInfo.prototype, 'failInfo')

/** CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } */
export class CertId {
  issuer = new GeneralName()

  serialNumber = new ArrayBuffer(0)

  constructor(params: Partial<CertId> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: GeneralName })(CertId.prototype, 'issuer')
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(CertId.prototype, 'serialNumber')

// ---------------------------------------------------------------------------------------------
// CRMF (RFC 4211), IMPLICIT TAGS

/** CRMF AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY DEFINED BY type } (controls, regInfo) */
export class CrmfAttributeTypeAndValue {
  type = ''

  /** DER of the value */
  value: ArrayBuffer | null = new ArrayBuffer(0)

  constructor(params: Partial<CrmfAttributeTypeAndValue> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(CrmfAttributeTypeAndValue.prototype, 'type')
AsnProp({ type: AsnPropTypes.Any })(CrmfAttributeTypeAndValue.prototype, 'value')

/** Controls ::= SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue */
export class Controls extends AsnArray<CrmfAttributeTypeAndValue> {
  constructor(items?: CrmfAttributeTypeAndValue[]) {
    super(items)
    Object.setPrototypeOf(this, Controls.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CrmfAttributeTypeAndValue })(Controls)

/** regInfo: SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue */
export class RegInfo extends AsnArray<CrmfAttributeTypeAndValue> {
  constructor(items?: CrmfAttributeTypeAndValue[]) {
    super(items)
    Object.setPrototypeOf(this, RegInfo.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CrmfAttributeTypeAndValue })(RegInfo)

/** OptionalValidity ::= SEQUENCE { notBefore [0] Time OPTIONAL, notAfter [1] Time OPTIONAL } */
export class OptionalValidity {
  notBefore?: Time

  notAfter?: Time

  constructor(params: Partial<OptionalValidity> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: Time, context: 0, optional: true })(OptionalValidity.prototype, 'notBefore')
AsnProp({ type: Time, context: 1, optional: true })(OptionalValidity.prototype, 'notAfter')

/** CertTemplate (RFC 4211 5) */
export class CertTemplate {
  version?: number

  serialNumber?: ArrayBuffer

  signingAlg?: AlgorithmIdentifier

  issuer?: Name

  validity?: OptionalValidity

  subject?: Name

  publicKey?: SubjectPublicKeyInfo

  issuerUID?: ArrayBuffer

  subjectUID?: ArrayBuffer

  extensions?: Extensions

  /** Fast-decoded messages: publicKey's DER as received, re-tagged as a SEQUENCE. */
  publicKeyDer?: Uint8Array

  constructor(params: Partial<CertTemplate> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer, context: 0, implicit: true, optional: true })(CertTemplate.prototype, 'version')
AsnProp({ type: AsnPropTypes.Integer, context: 1, implicit: true, optional: true, converter: AsnIntegerArrayBufferConverter })(CertTemplate.prototype, 'serialNumber')
AsnProp({ type: AlgorithmIdentifier, context: 2, implicit: true, optional: true })(CertTemplate.prototype, 'signingAlg')
AsnProp({ type: Name, context: 3, optional: true })(CertTemplate.prototype, 'issuer')
AsnProp({ type: OptionalValidity, context: 4, implicit: true, optional: true })(CertTemplate.prototype, 'validity')
AsnProp({ type: Name, context: 5, optional: true })(CertTemplate.prototype, 'subject')
AsnProp({ type: SubjectPublicKeyInfo, context: 6, implicit: true, optional: true })(CertTemplate.prototype, 'publicKey')
AsnProp({ type: AsnPropTypes.BitString, context: 7, implicit: true, optional: true })(CertTemplate.prototype, 'issuerUID')
AsnProp({ type: AsnPropTypes.BitString, context: 8, implicit: true, optional: true })(CertTemplate.prototype, 'subjectUID')
AsnProp({ type: Extensions, context: 9, implicit: true, optional: true })(CertTemplate.prototype, 'extensions')

/** CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate CertTemplate, controls Controls OPTIONAL } */
export class CertRequest {
  certReqId = 0

  certTemplate = new CertTemplate()

  controls?: Controls

  constructor(params: Partial<CertRequest> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer })(CertRequest.prototype, 'certReqId')
AsnProp({ type: CertTemplate })(CertRequest.prototype, 'certTemplate')
AsnProp({ type: Controls, optional: true })(CertRequest.prototype, 'controls')

/** PKMACValue ::= SEQUENCE { algId AlgorithmIdentifier, value BIT STRING } */
export class PKMACValue {
  algId = new AlgorithmIdentifier()

  value = new BitString()

  constructor(params: Partial<PKMACValue> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AlgorithmIdentifier })(PKMACValue.prototype, 'algId')
AsnProp({ type: BitString })(PKMACValue.prototype, 'value')

/** POPOSigningKeyInput.authInfo CHOICE { sender [0] GeneralName, publicKeyMAC PKMACValue } */
export class POPOSigningKeyInputAuthInfo {
  sender?: GeneralName

  publicKeyMAC?: PKMACValue

  constructor(params: Partial<POPOSigningKeyInputAuthInfo> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: GeneralName, context: 0 })(POPOSigningKeyInputAuthInfo.prototype, 'sender')
AsnProp({ type: PKMACValue })(POPOSigningKeyInputAuthInfo.prototype, 'publicKeyMAC')
AsnType({ type: AsnTypeTypes.Choice })(POPOSigningKeyInputAuthInfo)

/** POPOSigningKeyInput ::= SEQUENCE { authInfo CHOICE, publicKey SubjectPublicKeyInfo } */
export class POPOSigningKeyInput {
  authInfo = new POPOSigningKeyInputAuthInfo()

  publicKey = new SubjectPublicKeyInfo()

  /** Fast-decoded messages: publicKey's DER as received. */
  publicKeyDer?: Uint8Array

  constructor(params: Partial<POPOSigningKeyInput> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: POPOSigningKeyInputAuthInfo })(POPOSigningKeyInput.prototype, 'authInfo')
AsnProp({ type: SubjectPublicKeyInfo })(POPOSigningKeyInput.prototype, 'publicKey')

/** POPOSigningKey ::= SEQUENCE { poposkInput [0] POPOSigningKeyInput OPTIONAL, algorithmIdentifier, signature BIT STRING } */
export class POPOSigningKey {
  poposkInput?: POPOSigningKeyInput

  /** Fast-decoded messages: the DER the signature covers (poposkInput as a SEQUENCE), as received. */
  poposkInputDer?: Uint8Array

  algorithmIdentifier = new AlgorithmIdentifier()

  signature = new BitString()

  constructor(params: Partial<POPOSigningKey> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: POPOSigningKeyInput, context: 0, implicit: true, optional: true })(POPOSigningKey.prototype, 'poposkInput')
AsnProp({ type: AlgorithmIdentifier })(POPOSigningKey.prototype, 'algorithmIdentifier')
AsnProp({ type: BitString })(POPOSigningKey.prototype, 'signature')

/** ProofOfPossession ::= CHOICE { raVerified [0] NULL, signature [1] POPOSigningKey, keyEncipherment [2] POPOPrivKey, keyAgreement [3] POPOPrivKey } */
export class ProofOfPossession {
  raVerified?: null

  signature?: POPOSigningKey

  /** POPOPrivKey (a CHOICE, so explicitly tagged): opaque DER */
  keyEncipherment?: ArrayBuffer

  keyAgreement?: ArrayBuffer

  constructor(params: Partial<ProofOfPossession> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Null, context: 0, implicit: true })(ProofOfPossession.prototype, 'raVerified')
AsnProp({ type: POPOSigningKey, context: 1, implicit: true })(ProofOfPossession.prototype, 'signature')
AsnProp({ type: AsnPropTypes.Any, context: 2 })(ProofOfPossession.prototype, 'keyEncipherment')
AsnProp({ type: AsnPropTypes.Any, context: 3 })(ProofOfPossession.prototype, 'keyAgreement')
AsnType({ type: AsnTypeTypes.Choice })(ProofOfPossession)

/** CertReqMsg ::= SEQUENCE { certReq CertRequest, popo ProofOfPossession OPTIONAL, regInfo OPTIONAL } */
export class CertReqMsg {
  /** Parsed messages also carry `certReqRaw` (the exact DER the POPO signature covers). */
  certReq = new CertRequest()

  certReqRaw?: ArrayBuffer | Uint8Array

  popo?: ProofOfPossession

  regInfo?: RegInfo

  constructor(params: Partial<CertReqMsg> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: CertRequest, raw: true })(CertReqMsg.prototype, 'certReq')
AsnProp({ type: ProofOfPossession, optional: true })(CertReqMsg.prototype, 'popo')
AsnProp({ type: RegInfo, optional: true })(CertReqMsg.prototype, 'regInfo')

/** CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg */
export class CertReqMessages extends AsnArray<CertReqMsg> {
  constructor(items?: CertReqMsg[]) {
    super(items)
    Object.setPrototypeOf(this, CertReqMessages.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CertReqMsg })(CertReqMessages)

// ---------------------------------------------------------------------------------------------
// CMP bodies (RFC 4210 / 9810), EXPLICIT TAGS

/** CertOrEncCert ::= CHOICE { certificate [0] CMPCertificate, encryptedCert [1] EncryptedKey } */
export class CertOrEncCert {
  certificate?: Certificate

  /** EncryptedKey (EncryptedValue or [0] EnvelopedData): opaque DER */
  encryptedCert?: ArrayBuffer

  constructor(params: Partial<CertOrEncCert> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: Certificate, context: 0 })(CertOrEncCert.prototype, 'certificate')
AsnProp({ type: AsnPropTypes.Any, context: 1 })(CertOrEncCert.prototype, 'encryptedCert')
AsnType({ type: AsnTypeTypes.Choice })(CertOrEncCert)

/** CertifiedKeyPair ::= SEQUENCE { certOrEncCert, privateKey [0] EncryptedKey OPTIONAL, publicationInfo [1] OPTIONAL } */
export class CertifiedKeyPair {
  certOrEncCert = new CertOrEncCert()

  privateKey?: ArrayBuffer

  publicationInfo?: ArrayBuffer

  constructor(params: Partial<CertifiedKeyPair> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: CertOrEncCert })(CertifiedKeyPair.prototype, 'certOrEncCert')
AsnProp({ type: AsnPropTypes.Any, context: 0, optional: true })(CertifiedKeyPair.prototype, 'privateKey')
AsnProp({ type: AsnPropTypes.Any, context: 1, optional: true })(CertifiedKeyPair.prototype, 'publicationInfo')

/** CertResponse ::= SEQUENCE { certReqId INTEGER, status PKIStatusInfo, certifiedKeyPair OPTIONAL, rspInfo OCTET STRING OPTIONAL } */
export class CertResponse {
  certReqId = 0

  status = new PKIStatusInfo()

  certifiedKeyPair?: CertifiedKeyPair

  rspInfo?: ArrayBuffer

  constructor(params: Partial<CertResponse> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer })(CertResponse.prototype, 'certReqId')
AsnProp({ type: PKIStatusInfo })(CertResponse.prototype, 'status')
AsnProp({ type: CertifiedKeyPair, optional: true })(CertResponse.prototype, 'certifiedKeyPair')
AsnProp({ type: AsnPropTypes.OctetString, optional: true })(CertResponse.prototype, 'rspInfo')

export class CertResponses extends AsnArray<CertResponse> {
  constructor(items?: CertResponse[]) {
    super(items)
    Object.setPrototypeOf(this, CertResponses.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CertResponse })(CertResponses)

/** CertRepMessage ::= SEQUENCE { caPubs [1] SEQUENCE OF CMPCertificate OPTIONAL, response SEQUENCE OF CertResponse } */
export class CertRepMessage {
  caPubs?: CMPCertificates

  response = new CertResponses()

  constructor(params: Partial<CertRepMessage> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: CMPCertificates, context: 1, optional: true })(CertRepMessage.prototype, 'caPubs')
AsnProp({ type: CertResponses })(CertRepMessage.prototype, 'response')

/** CertStatus ::= SEQUENCE { certHash OCTET STRING, certReqId INTEGER, statusInfo PKIStatusInfo OPTIONAL, hashAlg [0] AlgorithmIdentifier OPTIONAL } */
export class CertStatus {
  certHash = new ArrayBuffer(0)

  certReqId = 0

  statusInfo?: PKIStatusInfo

  hashAlg?: AlgorithmIdentifier

  constructor(params: Partial<CertStatus> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.OctetString })(CertStatus.prototype, 'certHash')
AsnProp({ type: AsnPropTypes.Integer })(CertStatus.prototype, 'certReqId')
AsnProp({ type: PKIStatusInfo, optional: true })(CertStatus.prototype, 'statusInfo')
AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })(CertStatus.prototype, 'hashAlg')

/** CertConfirmContent ::= SEQUENCE OF CertStatus */
export class CertConfirmContent extends AsnArray<CertStatus> {
  constructor(items?: CertStatus[]) {
    super(items)
    Object.setPrototypeOf(this, CertConfirmContent.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CertStatus })(CertConfirmContent)

/** RevDetails ::= SEQUENCE { certDetails CertTemplate, crlEntryDetails Extensions OPTIONAL } */
export class RevDetails {
  certDetails = new CertTemplate()

  crlEntryDetails?: Extensions

  constructor(params: Partial<RevDetails> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: CertTemplate })(RevDetails.prototype, 'certDetails')
AsnProp({ type: Extensions, optional: true })(RevDetails.prototype, 'crlEntryDetails')

/** RevReqContent ::= SEQUENCE OF RevDetails */
export class RevReqContent extends AsnArray<RevDetails> {
  constructor(items?: RevDetails[]) {
    super(items)
    Object.setPrototypeOf(this, RevReqContent.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: RevDetails })(RevReqContent)

export class PKIStatusInfos extends AsnArray<PKIStatusInfo> {
  constructor(items?: PKIStatusInfo[]) {
    super(items)
    Object.setPrototypeOf(this, PKIStatusInfos.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: PKIStatusInfo })(PKIStatusInfos)

export class CertIds extends AsnArray<CertId> {
  constructor(items?: CertId[]) {
    super(items)
    Object.setPrototypeOf(this, CertIds.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CertId })(CertIds)

export class CertificateLists extends AsnArray<CertificateList> {
  constructor(items?: CertificateList[]) {
    super(items)
    Object.setPrototypeOf(this, CertificateLists.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: CertificateList })(CertificateLists)

/** RevRepContent ::= SEQUENCE { status SEQUENCE OF PKIStatusInfo, revCerts [0] SEQUENCE OF CertId OPTIONAL, crls [1] SEQUENCE OF CertificateList OPTIONAL } */
export class RevRepContent {
  status = new PKIStatusInfos()

  revCerts?: CertIds

  crls?: CertificateLists

  constructor(params: Partial<RevRepContent> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: PKIStatusInfos })(RevRepContent.prototype, 'status')
AsnProp({ type: CertIds, context: 0, optional: true })(RevRepContent.prototype, 'revCerts')
AsnProp({ type: CertificateLists, context: 1, optional: true })(RevRepContent.prototype, 'crls')

/** GenMsgContent / GenRepContent ::= SEQUENCE OF InfoTypeAndValue */
export class GenMsgContent extends AsnArray<InfoTypeAndValue> {
  constructor(items?: InfoTypeAndValue[]) {
    super(items)
    Object.setPrototypeOf(this, GenMsgContent.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })(GenMsgContent)

export class GenRepContent extends AsnArray<InfoTypeAndValue> {
  constructor(items?: InfoTypeAndValue[]) {
    super(items)
    Object.setPrototypeOf(this, GenRepContent.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })(GenRepContent)

/** ErrorMsgContent ::= SEQUENCE { pKIStatusInfo, errorCode INTEGER OPTIONAL, errorDetails PKIFreeText OPTIONAL } */
export class ErrorMsgContent {
  pKIStatusInfo = new PKIStatusInfo()

  /** Implementation-specific (openssl puts its packed error code here), so a bigint. */
  errorCode?: bigint

  errorDetails?: PKIFreeText

  constructor(params: Partial<ErrorMsgContent> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: PKIStatusInfo })(ErrorMsgContent.prototype, 'pKIStatusInfo')
AsnProp({ type: AsnPropTypes.Integer, optional: true, converter: AsnIntegerBigIntConverter })(ErrorMsgContent.prototype, 'errorCode')
AsnProp({ type: PKIFreeText, optional: true })(ErrorMsgContent.prototype, 'errorDetails')

/** One element of PollReqContent: SEQUENCE { certReqId INTEGER } */
export class PollReqEntry {
  certReqId = 0

  constructor(params: Partial<PollReqEntry> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer })(PollReqEntry.prototype, 'certReqId')

export class PollReqContent extends AsnArray<PollReqEntry> {
  constructor(items?: PollReqEntry[]) {
    super(items)
    Object.setPrototypeOf(this, PollReqContent.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: PollReqEntry })(PollReqContent)

/** One element of PollRepContent: SEQUENCE { certReqId, checkAfter (seconds), reason PKIFreeText OPTIONAL } */
export class PollRepEntry {
  certReqId = 0

  checkAfter = 0

  reason?: PKIFreeText

  constructor(params: Partial<PollRepEntry> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer })(PollRepEntry.prototype, 'certReqId')
AsnProp({ type: AsnPropTypes.Integer })(PollRepEntry.prototype, 'checkAfter')
AsnProp({ type: PKIFreeText, optional: true })(PollRepEntry.prototype, 'reason')

export class PollRepContent extends AsnArray<PollRepEntry> {
  constructor(items?: PollRepEntry[]) {
    super(items)
    Object.setPrototypeOf(this, PollRepContent.prototype)
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: PollRepEntry })(PollRepContent)

/** PBMParameter ::= SEQUENCE { salt OCTET STRING, owf AlgorithmIdentifier, iterationCount INTEGER, mac AlgorithmIdentifier } */
export class PBMParameter {
  salt = new ArrayBuffer(0)

  owf = new AlgorithmIdentifier()

  iterationCount = 0

  mac = new AlgorithmIdentifier()

  constructor(params: Partial<PBMParameter> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.OctetString })(PBMParameter.prototype, 'salt')
AsnProp({ type: AlgorithmIdentifier })(PBMParameter.prototype, 'owf')
AsnProp({ type: AsnPropTypes.Integer })(PBMParameter.prototype, 'iterationCount')
AsnProp({ type: AlgorithmIdentifier })(PBMParameter.prototype, 'mac')

// ---------------------------------------------------------------------------------------------
// Header, body, message

/** PKIHeader (RFC 4210 5.1.1) */
export class PKIHeader {
  /** 1 = cmp1999, 2 = cmp2000, 3 = cmp2021 */
  pvno = 2

  /** default NULL-DN */
  sender = new GeneralName({ directoryName: new Name() })

  /** Fast-decoded messages: sender's DER as received. */
  senderDer?: Uint8Array

  /** default NULL-DN */
  recipient = new GeneralName({ directoryName: new Name() })

  messageTime?: Date

  protectionAlg?: AlgorithmIdentifier

  senderKID?: ArrayBuffer

  recipKID?: ArrayBuffer

  transactionID?: ArrayBuffer

  senderNonce?: ArrayBuffer

  recipNonce?: ArrayBuffer

  freeText?: PKIFreeText

  generalInfo?: InfoTypeAndValues

  constructor(params: Partial<PKIHeader> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: AsnPropTypes.Integer })(PKIHeader.prototype, 'pvno')
AsnProp({ type: GeneralName })(PKIHeader.prototype, 'sender')
AsnProp({ type: GeneralName })(PKIHeader.prototype, 'recipient')
AsnProp({ type: AsnPropTypes.GeneralizedTime, context: 0, optional: true })(PKIHeader.prototype, 'messageTime')
AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })(PKIHeader.prototype, 'protectionAlg')
AsnProp({ type: AsnPropTypes.OctetString, context: 2, optional: true })(PKIHeader.prototype, 'senderKID')
AsnProp({ type: AsnPropTypes.OctetString, context: 3, optional: true })(PKIHeader.prototype, 'recipKID')
AsnProp({ type: AsnPropTypes.OctetString, context: 4, optional: true })(PKIHeader.prototype, 'transactionID')
AsnProp({ type: AsnPropTypes.OctetString, context: 5, optional: true })(PKIHeader.prototype, 'senderNonce')
AsnProp({ type: AsnPropTypes.OctetString, context: 6, optional: true })(PKIHeader.prototype, 'recipNonce')
AsnProp({ type: PKIFreeText, context: 7, optional: true })(PKIHeader.prototype, 'freeText')
AsnProp({ type: InfoTypeAndValues, context: 8, optional: true })(PKIHeader.prototype, 'generalInfo')

/** PKIBody ::= CHOICE (RFC 4210 5.1.2); exactly one member is set */
export class PKIBody {
  ir?: CertReqMessages

  ip?: CertRepMessage

  cr?: CertReqMessages

  cp?: CertRepMessage

  p10cr?: CertificationRequest

  /** POPODecKeyChallContent: opaque DER */
  popdecc?: ArrayBuffer

  /** POPODecKeyRespContent: opaque DER */
  popdecr?: ArrayBuffer

  kur?: CertReqMessages

  kup?: CertRepMessage

  krr?: CertReqMessages

  /** KeyRecRepContent: opaque DER */
  krp?: ArrayBuffer

  rr?: RevReqContent

  rp?: RevRepContent

  ccr?: CertReqMessages

  ccp?: CertRepMessage

  ckuann?: ArrayBuffer

  cann?: ArrayBuffer

  rann?: ArrayBuffer

  crlann?: ArrayBuffer

  /** PKIConfirmContent ::= NULL */
  pkiconf?: null

  /** NestedMessageContent ::= PKIMessages: opaque DER */
  nested?: ArrayBuffer

  genm?: GenMsgContent

  genp?: GenRepContent

  error?: ErrorMsgContent

  certConf?: CertConfirmContent

  pollReq?: PollReqContent

  pollRep?: PollRepContent

  constructor(params: Partial<PKIBody> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: CertReqMessages, context: 0 })(PKIBody.prototype, 'ir')
AsnProp({ type: CertRepMessage, context: 1 })(PKIBody.prototype, 'ip')
AsnProp({ type: CertReqMessages, context: 2 })(PKIBody.prototype, 'cr')
AsnProp({ type: CertRepMessage, context: 3 })(PKIBody.prototype, 'cp')
AsnProp({ type: CertificationRequest, context: 4 })(PKIBody.prototype, 'p10cr')
AsnProp({ type: AsnPropTypes.Any, context: 5 })(PKIBody.prototype, 'popdecc')
AsnProp({ type: AsnPropTypes.Any, context: 6 })(PKIBody.prototype, 'popdecr')
AsnProp({ type: CertReqMessages, context: 7 })(PKIBody.prototype, 'kur')
AsnProp({ type: CertRepMessage, context: 8 })(PKIBody.prototype, 'kup')
AsnProp({ type: CertReqMessages, context: 9 })(PKIBody.prototype, 'krr')
AsnProp({ type: AsnPropTypes.Any, context: 10 })(PKIBody.prototype, 'krp')
AsnProp({ type: RevReqContent, context: 11 })(PKIBody.prototype, 'rr')
AsnProp({ type: RevRepContent, context: 12 })(PKIBody.prototype, 'rp')
AsnProp({ type: CertReqMessages, context: 13 })(PKIBody.prototype, 'ccr')
AsnProp({ type: CertRepMessage, context: 14 })(PKIBody.prototype, 'ccp')
AsnProp({ type: AsnPropTypes.Any, context: 15 })(PKIBody.prototype, 'ckuann')
AsnProp({ type: AsnPropTypes.Any, context: 16 })(PKIBody.prototype, 'cann')
AsnProp({ type: AsnPropTypes.Any, context: 17 })(PKIBody.prototype, 'rann')
AsnProp({ type: AsnPropTypes.Any, context: 18 })(PKIBody.prototype, 'crlann')
AsnProp({ type: AsnPropTypes.Null, context: 19 })(PKIBody.prototype, 'pkiconf')
AsnProp({ type: AsnPropTypes.Any, context: 20 })(PKIBody.prototype, 'nested')
AsnProp({ type: GenMsgContent, context: 21 })(PKIBody.prototype, 'genm')
AsnProp({ type: GenRepContent, context: 22 })(PKIBody.prototype, 'genp')
AsnProp({ type: ErrorMsgContent, context: 23 })(PKIBody.prototype, 'error')
AsnProp({ type: CertConfirmContent, context: 24 })(PKIBody.prototype, 'certConf')
AsnProp({ type: PollReqContent, context: 25 })(PKIBody.prototype, 'pollReq')
AsnProp({ type: PollRepContent, context: 26 })(PKIBody.prototype, 'pollRep')
AsnType({ type: AsnTypeTypes.Choice })(PKIBody)

/** Names of the PKIBody alternatives, in tag order (index = context tag). */
export const PKI_BODY_TYPES = [
  'ir',
  'ip',
  'cr',
  'cp',
  'p10cr',
  'popdecc',
  'popdecr',
  'kur',
  'kup',
  'krr',
  'krp',
  'rr',
  'rp',
  'ccr',
  'ccp',
  'ckuann',
  'cann',
  'rann',
  'crlann',
  'pkiconf',
  'nested',
  'genm',
  'genp',
  'error',
  'certConf',
  'pollReq',
  'pollRep',
] as const
export type PKIBodyType = (typeof PKI_BODY_TYPES)[number]

/**
 * PKIMessage ::= SEQUENCE { header, body, protection [0] BIT STRING OPTIONAL, extraCerts [1] SEQUENCE OF CMPCertificate OPTIONAL }
 * Parsed messages also carry `headerRaw` / `bodyRaw`, the exact DER the protection covers.
 */
export class PKIMessage {
  header = new PKIHeader()

  headerRaw?: ArrayBuffer | Uint8Array

  body = new PKIBody()

  bodyRaw?: ArrayBuffer | Uint8Array

  protection?: BitString

  extraCerts?: CMPCertificates

  constructor(params: Partial<PKIMessage> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: PKIHeader, raw: true })(PKIMessage.prototype, 'header')
AsnProp({ type: PKIBody, raw: true })(PKIMessage.prototype, 'body')
AsnProp({ type: BitString, context: 0, optional: true })(PKIMessage.prototype, 'protection')
AsnProp({ type: CMPCertificates, context: 1, optional: true })(PKIMessage.prototype, 'extraCerts')

/** ProtectedPart ::= SEQUENCE { header PKIHeader, body PKIBody } (what PBM / signatures cover) */
export class ProtectedPart {
  header = new PKIHeader()

  body = new PKIBody()

  constructor(params: Partial<ProtectedPart> = {}) {
    Object.assign(this, params)
  }
}
AsnProp({ type: PKIHeader })(ProtectedPart.prototype, 'header')
AsnProp({ type: PKIBody })(ProtectedPart.prototype, 'body')
