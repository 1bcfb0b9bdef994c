import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomBytes, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { GeneralName, Name } from '@peculiar/asn1-x509'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@libsql/client'
import { PKIHeader, PKIStatus } from '../../shared/cmp/asn1'
import { buildCertRepBody, buildPkiConfBody, bytes, decodePKIMessage, hasImplicitConfirm, statusInfo, verifyPbmProtection } from '../../shared/cmp/messages'
import { newPbmParameter } from '../../shared/cmp/pbm'
import { Ca } from '../ca/ca'
import { resolveConfig } from '../config'
import { openCenterDb } from '../db'
import { buildResponse, certRepBodyDer } from './response'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

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

describe('buildResponse', () => {
  let dir: string
  let db: Client
  let ca: Ca
  let store: TestStore
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'center-rsp-'))
    store = await freshStore()
    db = await openCenterDb(dir, { dbUrl: store.dbUrl })
    ca = await Ca.open(db, dir, resolveConfig())
  })
  afterAll(async () => {
    db.close()
    await store.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const request = new PKIHeader({
    pvno: 2,
    sender: new GeneralName({ directoryName: new Name() }),
    transactionID: new Uint8Array(randomBytes(16)).buffer,
    senderNonce: new Uint8Array(randomBytes(16)).buffer,
  })

  for (const kind of ['pbm', 'signature'] as const) {
    it(`writes a ${kind}-protected header exactly as the schema does, echoing the request`, () => {
      const protection = kind === 'pbm' ? { kind, secret: 'abcd-1234', param: newPbmParameter({ iterations: 200 }) } : { kind }
      const { der, senderNonce } = buildResponse(buildPkiConfBody(), { ca, pvno: 2, request, protection, pbmLimits: { minIterations: 100, maxIterations: 1000 }, implicitConfirm: kind === 'pbm' })
      const m = decodePKIMessage(der)
      const headerBytes = Buffer.from(bytes(m.headerRaw!))
      expect(headerBytes.equals(Buffer.from(AsnConvert.serialize(m.header)))).toBe(true)
      expect(Buffer.from(m.header.transactionID!).equals(Buffer.from(request.transactionID!))).toBe(true)
      expect(Buffer.from(m.header.recipNonce!).equals(Buffer.from(request.senderNonce!))).toBe(true)
      expect(Buffer.from(m.header.senderNonce!).equals(Buffer.from(senderNonce))).toBe(true)
      expect(m.header.messageTime!.getTime() % 1000).toBe(0)
      expect(Math.abs(m.header.messageTime!.getTime() - Date.now())).toBeLessThan(5000)
      expect(hasImplicitConfirm(m.header)).toBe(kind === 'pbm')
      if (kind === 'pbm') expect(verifyPbmProtection(m, 'abcd-1234', { minIterations: 100, maxIterations: 1000 })).toBe(true)
      else expect(m.header.senderKID).toBeDefined()
    })
  }
})
