import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { describe, expect, it } from 'vitest'
import { PKIStatus } from '../../shared/cmp/asn1'
import { buildCertRepBody, statusInfo } from '../../shared/cmp/messages'
import { certRepBodyDer } from './response'

const FIXTURES = resolve(import.meta.dirname, '../..', '../shared/fixtures/cmp')

describe('certRepBodyDer', () => {
  const cert = new Uint8Array(new X509Certificate(readFileSync(join(FIXTURES, 'rsp_cert1.pem'))).raw)
  const ca = new Uint8Array(new X509Certificate(readFileSync(join(FIXTURES, 'ca.crt'))).raw)
  for (const [type, id] of [['ip', 0], ['cp', -1], ['kup', 0], ['ip', 300]] as const) {
    it(`encodes ${type} with certReqId ${id} exactly as the schema does`, () => {
      const viaSchema = new Uint8Array(AsnConvert.serialize(buildCertRepBody(type, [{ certReqId: id, status: statusInfo(PKIStatus.accepted), cert }], [ca])))
      expect(Buffer.from(certRepBodyDer(type, id, cert, ca)).equals(Buffer.from(viaSchema))).toBe(true)
    })
  }
})
