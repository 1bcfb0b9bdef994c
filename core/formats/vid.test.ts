import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { buildIdentifyDataSan, buildIdentifyDataSubjectAltName, computeVid, normalizeIdn, readIdentifyData, verifyVid } from './vid'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const SIGN_CERT = new Uint8Array(readFileSync(join(FIX, 'signCert.der')))
const RANDOM_NUM = Uint8Array.from(Buffer.from('7858b4328390805129f01c97fe6ca4a520cbd479', 'hex'))
const IDN = '8001011234567'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** VID computed in the test from hand-written DER: SEQUENCE { PrintableString idn, BIT STRING randomNum }. */
function refVid(idn: string, rn: Uint8Array, alg = 'sha256'): string {
  const body = Buffer.concat([Buffer.from([0x13, idn.length]), Buffer.from(idn, 'ascii'), Buffer.from([0x03, rn.length + 1, 0]), Buffer.from(rn)])
  const der = Buffer.concat([Buffer.from([0x30, body.length]), body])
  return createHash(alg).update(createHash(alg).update(der).digest()).digest('hex')
}

const tmp = mkdtempSync(join(tmpdir(), 'vid-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A certificate issued by openssl whose SAN identifyData is built by openssl's ASN.1 generator. */
function opensslVidCert(name: string, vidHex: string, hashOid: string, tag: string): Uint8Array {
  const cnf = join(tmp, `${tag}.cnf`)
  writeFileSync(
    cnf,
    [
      '[req]',
      'distinguished_name=dn',
      '[dn]',
      '[ext]',
      'subjectAltName=email:someone@example.com,otherName:1.2.410.200004.10.1.1;SEQUENCE:id_data',
      '[id_data]',
      `name=FORMAT:UTF8,UTF8:${name}`,
      'vids=SEQUENCE:vid_list',
      '[vid_list]',
      'entry=SEQUENCE:vid_entry',
      '[vid_entry]',
      'type=OID:1.2.410.200004.10.1.1.1',
      'value=SEQUENCE:vid_value',
      '[vid_value]',
      'alg=SEQUENCE:hash_alg',
      `vid=EXPLICIT:0,FORMAT:HEX,OCTETSTRING:${vidHex}`,
      '[hash_alg]',
      `oid=OID:${hashOid}`,
      '',
    ].join('\n'),
  )
  const out = join(tmp, `${tag}.der`)
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp, `${tag}.pem`), '-subj', '/CN=vid test', '-days', '1', '-config', cnf, '-extensions', 'ext', '-outform', 'DER', '-out', out],
    { stdio: 'ignore' },
  )
  return new Uint8Array(readFileSync(out))
}

let vidCert: Uint8Array
let vidCertSha1: Uint8Array
let plainCert: Uint8Array

beforeAll(() => {
  vidCert = opensslVidCert('홍길동', refVid(IDN, RANDOM_NUM), '2.16.840.1.101.3.4.2.1', 'sha256')
  vidCertSha1 = opensslVidCert('HONG', refVid(IDN, RANDOM_NUM, 'sha1'), '1.3.14.3.2.26', 'sha1')
  const out = join(tmp, 'plain.der')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp, 'plain.pem'), '-subj', '/CN=plain', '-days', '1', '-addext', 'subjectAltName=DNS:example.com', '-outform', 'DER', '-out', out], { stdio: 'ignore' })
  plainCert = new Uint8Array(readFileSync(out))
})

describe('fixture certificate', () => {
  it('carries a SHA-256 VID for realName HKD', () => {
    const data = readIdentifyData(SIGN_CERT)
    expect(data).toBeDefined()
    expect(data?.realName).toBe('HKD')
    expect(data?.hashAlg).toBe('sha256')
    expect(data?.hashOid).toBe('2.16.840.1.101.3.4.2.1')
    expect(hex(data?.vid as Uint8Array)).toBe('8ad4f673412f825da4d1fb4d4216946bbc7f8194a0af01f86622ee23c7ee0de7')
  })

  it('does not match an arbitrary resident number (the fixture idn is not published)', () => {
    expect(verifyVid(SIGN_CERT, RANDOM_NUM, '800101-1234567')).toBe('mismatch')
    expect(verifyVid(SIGN_CERT, RANDOM_NUM, '0000000000000')).toBe('mismatch')
  })

  it('our builder reproduces the fixture identifyData layout around the VID', () => {
    const built = buildIdentifyDataSan('HKD', IDN, RANDOM_NUM, 'sha256')
    // Fixture SAN bytes after the otherName header (30 59 a0 57 06 09 <oid> a0 4a): the identifyData SEQUENCE.
    const fixtureInner = '30480c03484b443041303f060a2a831a8c9a440a0101013031300b0609608648016503040201a0220420'
    expect(hex(built.subarray(0, fixtureInner.length / 2))).toBe(fixtureInner)
    expect(hex(built.subarray(fixtureInner.length / 2))).toBe(refVid(IDN, RANDOM_NUM))
  })
})

describe('VID on openssl-issued certificates', () => {
  it('matches the right resident number, with or without hyphen', () => {
    expect(verifyVid(vidCert, RANDOM_NUM, IDN)).toBe('match')
    expect(verifyVid(vidCert, RANDOM_NUM, '800101-1234567')).toBe('match')
    const data = readIdentifyData(vidCert)
    expect(data?.realName).toBe('홍길동')
  })

  it('mismatches another number or another randomNum', () => {
    expect(verifyVid(vidCert, RANDOM_NUM, '8001011234568')).toBe('mismatch')
    const otherRn = RANDOM_NUM.slice()
    otherRn[0] = (otherRn[0] as number) ^ 1
    expect(verifyVid(vidCert, otherRn, IDN)).toBe('mismatch')
  })

  it('follows the hash named in the certificate (SHA-1)', () => {
    expect(readIdentifyData(vidCertSha1)?.hashAlg).toBe('sha1')
    expect(verifyVid(vidCertSha1, RANDOM_NUM, IDN)).toBe('match')
    expect(verifyVid(vidCertSha1, RANDOM_NUM, '9001011234567')).toBe('mismatch')
  })

  it('reports no-vid for a certificate without identifyData', () => {
    expect(readIdentifyData(plainCert)).toBeUndefined()
    expect(verifyVid(plainCert, RANDOM_NUM, IDN)).toBe('no-vid')
  })

  it('buildIdentifyDataSubjectAltName equals the SAN openssl generated from its own config', () => {
    const san = buildIdentifyDataSubjectAltName('홍길동', IDN, RANDOM_NUM, 'sha256')
    const text = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', join(tmp, 'sha256.der')]).toString()
    const m = /Subject Alternative Name\n.*\[HEX DUMP\]:([0-9A-F]+)/.exec(text)
    expect(m).not.toBeNull()
    const opensslSan = (m as RegExpExecArray)[1]?.toLowerCase() ?? ''
    // openssl's SAN also holds an email entry first; ours is the otherName alone.
    const ours = hex(san.subarray(2))
    expect(opensslSan.endsWith(ours)).toBe(true)
  })
})

describe('computeVid and idn handling', () => {
  it('computes H(H(DER)) independently of the certificate', () => {
    expect(hex(computeVid(IDN, RANDOM_NUM))).toBe(refVid(IDN, RANDOM_NUM))
    expect(hex(computeVid(IDN, RANDOM_NUM, 'sha512'))).toBe(refVid(IDN, RANDOM_NUM, 'sha512'))
  })

  it('validates the identity number', () => {
    expect(normalizeIdn(' 800101-1234567 ')).toBe(IDN)
    for (const bad of ['', '800101123456', '80010112345678', '800101-123456a', '８００１０１１２３４５６７']) {
      expect(() => normalizeIdn(bad)).toThrow(CertError)
      expect(() => verifyVid(vidCert, RANDOM_NUM, bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }))
    }
    expect(() => computeVid(IDN, RANDOM_NUM, 'md5')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }))
  })

  it('a malformed certificate is DAMAGED', () => {
    expect(() => readIdentifyData(SIGN_CERT.subarray(0, 500))).toThrow(expect.objectContaining({ code: 'DAMAGED' }))
  })
})
