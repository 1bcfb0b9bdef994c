import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '@libsql/client'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import { AttributeTypeAndValue, AttributeValue, Certificate, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509'
import { openCenterDb } from '../db'
import { resolveConfig } from '../config'
import { Ca, nameDer, subjectKeyIdentifierDer } from './ca'
import { u8 } from '../../shared/der/bytes'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

const pem = (der: Uint8Array, label: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`

describe('Ca', () => {
  let dir: string
  let db: Client
  let ca: Ca
  const customer = { name: '홍길동', idn: '8001011234567', bankCode: 'TESTBANK' }

  let store: TestStore

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'center-ca-'))
    store = await freshStore()
    db = await openCenterDb(dir, { dbUrl: store.dbUrl })
    ca = await Ca.open(db, dir, resolveConfig())
    writeFileSync(join(dir, 'ca.pem'), pem(ca.caCertDer(), 'CERTIFICATE'))
  })
  afterAll(async () => {
    db.close()
    await store.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const spki = () => new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }))

  it('keeps the CA secret in a 0600 file and reopens the same CA', async () => {
    expect(statSync(join(dir, 'ca-secret')).mode & 0o777).toBe(0o600)
    const again = await Ca.open(db, dir, resolveConfig())
    expect(Buffer.from(again.caCertDer()).equals(Buffer.from(ca.caCertDer()))).toBe(true)
  })

  it('issues an NPKI-style certificate that openssl verifies, pending until confirmed', async () => {
    const randomNum = new Uint8Array(randomBytes(20))
    const { serialHex, certDer } = await ca.issue({ customerId: 'c1', certType: 'limited', purpose: 'issue', spkiDer: spki(), customer, randomNum, transactionId: 't1' })
    expect(serialHex).toMatch(/^[0-9a-f]{32}$/)
    expect(await ca.findActiveCert('c1', 'limited')).toBeUndefined()
    expect((await ca.certBySerial(serialHex))?.status).toBe('pending')
    await ca.confirm(serialHex)
    expect((await ca.findActiveCert('c1', 'limited'))?.serialHex).toBe(serialHex)
    const certPath = join(dir, 'ee.pem')
    writeFileSync(certPath, pem(certDer, 'CERTIFICATE'))
    expect(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), certPath]).toString()).toContain(': OK')
    const text = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']).toString()
    expect(text).toMatch(/Subject: C=KR, O=CertMgr Center, OU=personal4IB, OU=TESTBANK, CN=홍길동\(\)\d{16}/)
    expect(text).toContain('2.25.118064855039374575362835836967531572845.1.4')
    expect(text).toContain('Digital Signature, Non Repudiation')
    // The VID in the SAN is the double SHA-256 of DER(SEQUENCE { PrintableString idn, BIT STRING randomNum }).
    const inner = Buffer.concat([Buffer.from([0x13, 13]), Buffer.from(customer.idn), Buffer.from([0x03, 21, 0]), Buffer.from(randomNum)])
    const der = Buffer.concat([Buffer.from([0x30, inner.length]), inner])
    const vid = createHash('sha256').update(createHash('sha256').update(der).digest()).digest()
    expect(Buffer.from(certDer).includes(vid)).toBe(true)
  })

  it('a confirmed reissue supersedes the old certificate and the CRL lists it', async () => {
    const first = await ca.findActiveCert('c1', 'limited')
    const { serialHex } = await ca.issue({ customerId: 'c1', certType: 'limited', purpose: 'reissue', spkiDer: spki(), customer, transactionId: 't2' })
    await ca.confirm(serialHex)
    expect((await ca.certBySerial(first!.serialHex))?.status).toBe('revoked')
    const crlPath = join(dir, 'crl.der')
    writeFileSync(crlPath, await ca.crlDer())
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-noout', '-text']).toString()
    expect(text.toLowerCase()).toContain(first!.serialHex)
    expect(text).toContain('Superseded')
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-noout', '-CAfile', join(dir, 'ca.pem')], { stdio: 'pipe' })
  })

  it('a renewal keeps the subject and follows on from the old validity', async () => {
    const old = (await ca.findActiveCert('c1', 'limited'))!
    const oldRow = (await ca.row(old.serialHex))!
    const r = await ca.issue({ customerId: 'c1', certType: 'limited', purpose: 'renew', spkiDer: spki(), customer, transactionId: 't3', renewOf: old })
    const newRow = (await ca.row(r.serialHex))!
    expect(Math.abs(newRow.notAfter - (oldRow.notAfter + 365 * 86_400_000))).toBeLessThan(2000)
    const subj = (d: Uint8Array) => {
      const p = join(dir, 'x.pem')
      writeFileSync(p, pem(d, 'CERTIFICATE'))
      return execFileSync('openssl', ['x509', '-in', p, '-noout', '-subject']).toString()
    }
    expect(subj(r.certDer)).toBe(subj(old.certDer))
  })

  it('writes issued certificates in canonical DER (the schema re-encodes them byte for byte)', async () => {
    const ec = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }))
    for (const spkiDer of [spki(), ec]) {
      const { certDer } = await ca.issue({ customerId: 'c9', certType: 'general', purpose: 'issue', spkiDer, customer, randomNum: new Uint8Array(randomBytes(20)), transactionId: `t9-${spkiDer.length}` })
      expect(Buffer.from(AsnConvert.serialize(AsnConvert.parse(certDer, Certificate))).equals(Buffer.from(certDer))).toBe(true)
    }
  })

  it('issues and activates in one commit when asked to, superseding the active one', async () => {
    const before = (await ca.findActiveCert('c1', 'limited'))!
    const r = await ca.issue({ customerId: 'c1', certType: 'limited', purpose: 'reissue', spkiDer: spki(), customer, transactionId: 't10' }, { confirm: true })
    expect((await ca.row(r.serialHex))?.status).toBe('active')
    expect((await ca.certBySerial(before.serialHex))?.status).toBe('revoked')
    expect(Buffer.from(await ca.crlDer()).includes(Buffer.from(before.serialHex, 'hex'))).toBe(true)
  })

  it('two nodes activating certificates of one customer and type at once leave exactly one valid, the other superseded and on the CRL', async () => {
    // Issuance batches take no center-wide lock; the unique index on active certificates makes
    // the later of two racing activations run again and supersede the first.
    const otherDb = await openCenterDb(dir, { dbUrl: store.dbUrl })
    try {
      const other = await Ca.open(otherDb, dir, resolveConfig())
      for (let round = 0; round < 4; round++) {
        const issued = await Promise.all(
          [ca, other, ca, other].map((node, i) =>
            node.issue({ customerId: 'race', certType: 'general', purpose: 'reissue', spkiDer: spki(), customer, transactionId: `race-${round}-${i}` }, { confirm: true }),
          ),
        )
        const rows = await Promise.all(issued.map((r) => ca.row(r.serialHex)))
        expect(rows.filter((r) => r?.status === 'active')).toHaveLength(1)
        const superseded = rows.filter((r) => r?.status === 'revoked')
        expect(superseded).toHaveLength(3)
        const crl = Buffer.from(await ca.crlDer())
        for (const r of superseded) expect(crl.includes(Buffer.from(r!.serialHex, 'hex'))).toBe(true)
      }
      const active = await db.execute("SELECT COUNT(*) AS n FROM ca_certs WHERE customer_id = 'race' AND status = 'active'")
      expect(Number(active.rows[0]?.n)).toBe(1)
    } finally {
      otherDb.close()
    }
  })
})

describe('nameDer', () => {
  const openssl = (subj: string): Name => {
    const dir = mkdtempSync(join(tmpdir(), 'name-'))
    try {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
      writeFileSync(join(dir, 'k.pem'), key)
      const der = execFileSync('openssl', ['req', '-new', '-x509', '-utf8', '-key', join(dir, 'k.pem'), '-subj', subj, '-outform', 'DER'])
      return AsnConvert.parse(der, Certificate).tbsCertificate.subject
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('encodes names exactly as openssl and the schema encoder do', () => {
    for (const subj of ['/C=KR/O=yessign/OU=personal4IB/OU=NACF/CN=홍길동()0012345678901234', '/CN=a', '/C=KR/O=Test CA/CN=Test Root CA', '/DC=com/DC=example/CN=x y']) {
      const name = openssl(subj)
      const expected = u8(AsnConvert.serialize(name))
      expect(Buffer.from(nameDer(name)).toString('hex')).toBe(Buffer.from(expected).toString('hex'))
    }
  })

  it('leaves multi-valued RDNs and other string kinds to the schema encoder', () => {
    const multi = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: 'b' }) }), new AttributeTypeAndValue({ type: '2.5.4.10', value: new AttributeValue({ utf8String: 'a' }) })])])
    const bmp = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ bmpString: '가' }) })])])
    for (const n of [multi, bmp]) expect(Buffer.from(nameDer(n)).equals(Buffer.from(AsnConvert.serialize(n)))).toBe(true)
  })
})

describe('subjectKeyIdentifierDer', () => {
  it('is the extension openssl writes for the same key id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ski-'))
    try {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
      writeFileSync(join(dir, 'k.pem'), key)
      const der = execFileSync('openssl', ['req', '-new', '-x509', '-key', join(dir, 'k.pem'), '-subj', '/CN=x', '-addext', 'subjectKeyIdentifier=hash', '-outform', 'DER'])
      const cert = AsnConvert.parse(der, Certificate)
      const ext = cert.tbsCertificate.extensions!.find((e) => e.extnID === '2.5.29.14')!
      const keyId = new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer)
      expect(Buffer.from(subjectKeyIdentifierDer(keyId)).equals(Buffer.from(AsnConvert.serialize(ext)))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
