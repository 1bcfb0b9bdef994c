import type { KeyObject } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Attributes, PrivateKeyInfo } from '@peculiar/asn1-pkcs8'
import { Attribute } from '@peculiar/asn1-x509'
import { CertError } from '../../shared/errors'
import { OID } from '../../shared/cmp/asn1'
import { randomNumBitStringDer } from '../../shared/cmp/messages'

/** A fresh 20-byte randomNum for the VID (NPKI.md §2). */
export function newRandomNum(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(20))
}

/**
 * PKCS#8 PrivateKeyInfo of `privateKey` with the NPKI randomNum attribute:
 * `[0] { Attribute { 1.2.410.200004.10.1.1.3, SET { BIT STRING (20 bytes, 0 unused bits) } } }`.
 * Without it bank logins and Hometax cannot check the VID, so the key must be written with it.
 */
export function buildPkcs8WithRandomNum(privateKey: KeyObject, randomNum: Uint8Array): Uint8Array {
  if (privateKey.type !== 'private') throw new CertError('BAD_REQUEST', 'a private key is required')
  const value = randomNumBitStringDer(randomNum)
  let info: PrivateKeyInfo
  try {
    info = AsnConvert.parse(new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })), PrivateKeyInfo)
  } catch {
    throw new CertError('INTERNAL', 'the private key could not be exported')
  }
  const others = Array.from(info.attributes ?? []).filter((a) => a.type !== OID.randomNum)
  info.attributes = new Attributes([...others, new Attribute({ type: OID.randomNum, values: [value.slice().buffer] })])
  return new Uint8Array(AsnConvert.serialize(info))
}
