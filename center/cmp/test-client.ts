/**
 * A minimal CMP client made of the shared/cmp builders, for the center's own tests and benchmark
 * (pre-built messages, no network code). The desktop client lives in core/enroll.
 */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { OID } from '../../shared/cmp/asn1'
import {
  bodyType,
  buildCertConfBody,
  buildCertReqMsg,
  buildCertRequest,
  buildHeader,
  buildIrBody,
  buildMessage,
  bytes,
  certConfHash,
  certRepOf,
  decodePKIMessage,
  directoryName,
  encodePKIMessage,
  errorText,
  issuedCertDer,
  newNonce,
  protectWithPbm,
} from '../../shared/cmp/messages'
import type { PbmOptions } from '../../shared/cmp/pbm'

export interface BuiltRequest {
  der: Uint8Array
  transactionID: Uint8Array
  senderNonce: Uint8Array
}

export async function buildIrMessage(o: {
  reference: string
  secret: string
  spkiDer: Uint8Array
  privateKey: KeyObject | string
  randomNum?: Uint8Array
  implicitConfirm?: boolean
  pbm?: PbmOptions
}): Promise<BuiltRequest> {
  const key = typeof o.privateKey === 'string' ? createPrivateKey(o.privateKey) : o.privateKey
  const transactionID = newNonce()
  const senderNonce = newNonce()
  const header = buildHeader({ sender: directoryName(), recipient: directoryName(), senderKID: o.reference, transactionID, senderNonce, implicitConfirm: o.implicitConfirm })
  const req = buildCertRequest({ publicKey: o.spkiDer })
  // EC keys are cheap to make by the hundred in load tests; they need an ECDSA POPO.
  const algorithm = key.asymmetricKeyType === 'ec' ? new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSHA256 }) : undefined
  // One salt for the POPO MAC and the message MAC, as the desktop client does.
  const pbm: PbmOptions = { ...o.pbm, salt: o.pbm?.salt ?? newNonce() }
  const msg = await buildCertReqMsg(req, (d) => new Uint8Array(cryptoSign('sha256', d, key)), { pbmSecret: o.secret, randomNum: o.randomNum, algorithm, pbm })
  const m = protectWithPbm(buildMessage(header, buildIrBody([msg])), o.secret, pbm)
  return { der: encodePKIMessage(m), transactionID, senderNonce }
}

export function buildCertConfMessage(o: { reference: string; secret: string; transactionID: Uint8Array; recipNonce: Uint8Array; certDer: Uint8Array; certReqId?: number }): BuiltRequest {
  const senderNonce = newNonce()
  const header = buildHeader({ sender: directoryName(), recipient: directoryName(), senderKID: o.reference, transactionID: o.transactionID, senderNonce, recipNonce: o.recipNonce })
  const m = protectWithPbm(buildMessage(header, buildCertConfBody([{ certReqId: o.certReqId ?? 0, certHash: certConfHash(o.certDer) }])), o.secret)
  return { der: encodePKIMessage(m), transactionID: o.transactionID, senderNonce }
}

export interface ParsedResponse {
  type: string
  certDer?: Uint8Array
  error?: string
  senderNonce?: Uint8Array
  recipNonce?: Uint8Array
}

export function parseResponse(der: Uint8Array): ParsedResponse {
  const m = decodePKIMessage(der)
  const type = bodyType(m.body) ?? 'unknown'
  const out: ParsedResponse = {
    type,
    senderNonce: m.header.senderNonce ? bytes(m.header.senderNonce) : undefined,
    recipNonce: m.header.recipNonce ? bytes(m.header.recipNonce) : undefined,
  }
  const rep = certRepOf(m.body)
  const first = rep?.response[0]
  if (first) {
    const c = issuedCertDer(first)
    if (c) out.certDer = c
  }
  if (m.body.error) out.error = errorText(m.body.error)
  return out
}
