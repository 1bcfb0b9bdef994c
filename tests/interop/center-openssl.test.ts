/**
 * `openssl cmp` (OpenSSL 3.0) as the CLIENT against our certification center on 127.0.0.1:
 * enrollment (ir with PBM, HMAC-SHA1 and HMAC-SHA256), renewal (kur), revocation (rr), refusals,
 * and the published CRL read back by `openssl crl`.
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { freshStore, type TestStore } from '../helpers/postgres'

const run = promisify(execFile)
const OPENSSL = '/usr/bin/openssl'
const VALIDITY_DAYS = 20 // inside the 30-day renewal window, so kur is allowed at once

async function openssl(args: string[], cwd: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run(OPENSSL, args, { cwd, timeout: 60_000 })
    return { ok: true, out: stdout + stderr }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    return { ok: false, out: (e.stdout ?? '') + (e.stderr ?? '') }
  }
}

describe('center with openssl cmp as the client', () => {
  let dir: string
  let center: RunningCenter
  let customerId: string
  const name = '김철수'
  let store: TestStore

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'center-openssl-'))
    store = await freshStore()
    center = await startCenter({ dataDir: join(dir, 'data'), dbUrl: store.dbUrl, validityDays: VALIDITY_DAYS, renewalRequiresRa: false })
    const caDer = new Uint8Array(await (await fetch(`${center.url}/ca.crt`)).arrayBuffer())
    writeFileSync(join(dir, 'ca.pem'), new X509Certificate(caDer).toString())
    customerId = (await center.ra.createCustomer({ name, idn: '9001011234567', phone: '01055554444', balanceKrw: 10_000 })).customerId
    for (const k of ['key1', 'key2', 'key3', 'key4']) await run(OPENSSL, ['genrsa', '-out', `${k}.pem`, '2048'], { cwd: dir })
  })

  afterAll(async () => {
    await center?.close()
    await store?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const ir = (ref: string, secret: string, key: string, out: string, extra: string[] = []) =>
    openssl(
      [
        'cmp', '-cmd', 'ir', '-server', `${center.url}/.well-known/cmp/p/certmgr/initialization`,
        '-ref', ref, '-secret', `pass:${secret}`, '-newkey', key, '-subject', '/CN=ignored',
        '-recipient', '/C=KR/O=CertMgr Center/CN=CertMgr Root CA', '-certout', out, '-cacertsout', `${out}.ca.pem`,
        '-out_trusted', 'ca.pem', ...extra,
      ],
      dir,
    )

  const serialOf = (pemFile: string) => new X509Certificate(readFileSync(join(dir, pemFile))).serialNumber.toLowerCase()

  it('issues with ir + PBM (default hmac-sha1); the chain verifies and the certificate is active after certConf', async () => {
    const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
    const r = await ir(codes.reference, codes.authCode, 'key1.pem', 'cert1.pem', ['-reqout', 'ir1.der,certconf1.der'])
    expect(r.out).toContain('received PKICONF')
    expect(r.ok).toBe(true)
    expect((await openssl(['verify', '-CAfile', 'ca.pem', 'cert1.pem'], dir)).out).toContain('cert1.pem: OK')
    const subject = (await openssl(['x509', '-in', 'cert1.pem', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space'], dir)).out
    expect(subject).toMatch(new RegExp(`subject=C=KR, O=CertMgr Center, OU=personal4IB, OU=\\S+, CN=${name}\\(\\)\\d{16}`))
    const text = (await openssl(['x509', '-in', 'cert1.pem', '-noout', '-text'], dir)).out
    expect(text).toContain('2.25.118064855039374575362835836967531572845.1.4')
    const row = await center.ca.certBySerial(serialOf('cert1.pem'))
    expect(row?.status).toBe('active')
  })

  it('refuses a second issue while a valid certificate of that type exists', async () => {
    const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
    const r = await ir(codes.reference, codes.authCode, 'key3.pem', 'dup.pem', ['-reqout', 'dup-ir.der'])
    expect(r.ok).toBe(false)
    expect(r.out).toContain('a valid certificate of this type already exists')
  })

  it('refuses replayed requests (resent unchanged by openssl -reqin)', async () => {
    // -unprotected_errors: a refusal before the client proved its authorization code is signed
    // by the CA, never MACed with the real code (that would be an offline oracle); without
    // -srvcert/-trusted openssl cannot check that signature, and this flag lets it read the refusal.
    const resend = (file: string) =>
      openssl(
        ['cmp', '-cmd', 'ir', '-server', `${center.url}/.well-known/cmp`, '-reqin', file, '-newkey', 'key3.pem', '-certout', 'replay.pem', '-ref', 'x', '-secret', 'pass:unused', '-recipient', '/CN=x', '-out_trusted', 'ca.pem', '-unprotected_errors'],
        dir,
      )
    // The refused duplicate left its reference unused, so only the transactionID check stops it.
    const dup = await resend('dup-ir.der')
    expect(dup.ok).toBe(false)
    expect(dup.out).toContain('transactionID already used')
    // A captured successful ir: its one-time reference is gone as well.
    const first = await resend('ir1.der')
    expect(first.ok).toBe(false)
    expect(first.out).toContain('unknown, expired, used or locked reference number')
  })

  it('answers a wrong authorization code with "wrong pbm value"', async () => {
    const codes = await center.ra.createEnrollmentCodes(customerId, 'general', 'issue')
    // -unprotected_errors: the refusal of a wrong code is signed by the CA, not MACed with the real code (see above).
    const r = await ir(codes.reference, 'WRONG-CODE-0000', 'key3.pem', 'bad.pem', ['-unprotected_errors'])
    expect(r.ok).toBe(false)
    expect(r.out).toContain('wrong pbm value')
  })

  it('issues a general (범용) certificate with -mac hmacWithSHA256 and charges the fee', async () => {
    const before = (await center.ra.accounts(customerId))[0]!.balanceKrw
    const codes = await center.ra.createEnrollmentCodes(customerId, 'general', 'issue')
    const r = await ir(codes.reference, codes.authCode, 'key3.pem', 'general.pem', ['-mac', 'hmacWithSHA256'])
    expect(r.out).toContain('received PKICONF')
    expect((await openssl(['verify', '-CAfile', 'ca.pem', 'general.pem'], dir)).out).toContain('general.pem: OK')
    expect((await openssl(['x509', '-in', 'general.pem', '-noout', '-text'], dir)).out).toContain('2.25.118064855039374575362835836967531572845.1.1')
    expect((await center.ra.accounts(customerId))[0]!.balanceKrw).toBe(before - 4400)
  })

  it('leaves a certificate that was never confirmed inactive (openssl -disable_confirm)', async () => {
    const other = (await center.ra.createCustomer({ name: '이영희', idn: '9202022345678', phone: '01077776666' })).customerId
    const codes = await center.ra.createEnrollmentCodes(other, 'limited', 'issue')
    const r = await ir(codes.reference, codes.authCode, 'key4.pem', 'unconfirmed.pem', ['-disable_confirm'])
    expect(r.ok).toBe(true)
    expect((await center.ca.certBySerial(serialOf('unconfirmed.pem')))?.status).toBe('pending')
    expect(await center.ca.findActiveCert(other, 'limited')).toBeUndefined()
  })

  it('refuses kur without the RA renewal authorization when the center requires it', async () => {
    center.config.renewalRequiresRa = true
    try {
      const r = await openssl(
        ['cmp', '-cmd', 'kur', '-server', `${center.url}/.well-known/cmp`, '-cert', 'cert1.pem', '-key', 'key1.pem', '-newkey', 'key2.pem', '-certout', 'nope.pem', '-trusted', 'ca.pem'],
        dir,
      )
      expect(r.ok).toBe(false)
      expect(r.out).toContain('renewal has not been authorized by the registration authority')
    } finally {
      center.config.renewalRequiresRa = false
    }
  })

  it('refuses kur before the renewal window opens and after expiry', async () => {
    const kur = (out: string) =>
      openssl(['cmp', '-cmd', 'kur', '-server', `${center.url}/.well-known/cmp`, '-cert', 'cert1.pem', '-key', 'key1.pem', '-newkey', 'key2.pem', '-certout', out, '-trusted', 'ca.pem'], dir)
    center.config.renewalWindowDays = 5 // the certificate still has about 20 days
    try {
      const early = await kur('early.pem')
      expect(early.ok).toBe(false)
      expect(early.out).toContain('renewal is possible only within 5 days before expiry')
    } finally {
      center.config.renewalWindowDays = 30
    }
    // The CA's record decides expiry; move it into the past for this one attempt.
    const serial = serialOf('cert1.pem')
    const { rows } = await center.db.execute({ sql: 'SELECT not_after FROM ca_certs WHERE serial_hex = ?', args: [serial] })
    await center.db.execute({ sql: 'UPDATE ca_certs SET not_after = ? WHERE serial_hex = ?', args: [Date.now() - 1000, serial] })
    try {
      const late = await kur('late.pem')
      expect(late.ok).toBe(false)
      expect(late.out).toContain('the signer certificate has expired')
    } finally {
      await center.db.execute({ sql: 'UPDATE ca_certs SET not_after = ? WHERE serial_hex = ?', args: [Number(rows[0]?.not_after), serial] })
    }
  })

  it('renews with kur signed by the old certificate; the new validity follows on from the old one', async () => {
    const r = await openssl(
      ['cmp', '-cmd', 'kur', '-server', `${center.url}/.well-known/cmp`, '-cert', 'cert1.pem', '-key', 'key1.pem', '-newkey', 'key2.pem', '-certout', 'cert2.pem', '-trusted', 'ca.pem'],
      dir,
    )
    expect(r.out).toContain('received PKICONF')
    expect((await openssl(['verify', '-CAfile', 'ca.pem', 'cert2.pem'], dir)).out).toContain('cert2.pem: OK')
    const oldCert = new X509Certificate(readFileSync(join(dir, 'cert1.pem')))
    const newCert = new X509Certificate(readFileSync(join(dir, 'cert2.pem')))
    expect(newCert.subject).toBe(oldCert.subject)
    const expected = new Date(oldCert.validTo).getTime() + VALIDITY_DAYS * 86_400_000
    expect(Math.abs(new Date(newCert.validTo).getTime() - expected)).toBeLessThan(2000)
    // The renewed certificate supersedes the old one.
    expect((await center.ca.certBySerial(serialOf('cert1.pem')))?.status).toBe('revoked')
    expect((await center.ca.certBySerial(serialOf('cert2.pem')))?.status).toBe('active')
  })

  it('refuses kur signed by a certificate that is no longer valid', async () => {
    const r = await openssl(
      ['cmp', '-cmd', 'kur', '-server', `${center.url}/.well-known/cmp`, '-cert', 'cert1.pem', '-key', 'key1.pem', '-newkey', 'key3.pem', '-certout', 'x.pem', '-trusted', 'ca.pem'],
      dir,
    )
    expect(r.ok).toBe(false)
    expect(r.out).toContain('revoked')
  })

  it('revokes with rr and publishes the serial in the DER CRL', async () => {
    const r = await openssl(
      ['cmp', '-cmd', 'rr', '-server', `${center.url}/.well-known/cmp`, '-cert', 'cert2.pem', '-key', 'key2.pem', '-oldcert', 'cert2.pem', '-revreason', '5', '-trusted', 'ca.pem'],
      dir,
    )
    expect(r.out).toContain('revocation accepted')
    writeFileSync(join(dir, 'crl.der'), new Uint8Array(await (await fetch(`${center.url}/crl`)).arrayBuffer()))
    const crl = await openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text', '-CAfile', 'ca.pem'], dir)
    expect(crl.out).toContain('verify OK')
    expect(crl.out.toLowerCase()).toContain(serialOf('cert2.pem'))
    expect(crl.out).toContain('Cessation Of Operation')
    expect(crl.out.toLowerCase()).toContain(serialOf('cert1.pem')) // superseded by the renewal
    expect(crl.out).toContain('Superseded')
  })

  it('answers genm with the CA certificates and enrolls a PKCS#10 request (p10cr)', async () => {
    const other = (await center.ra.createCustomer({ name: '박민수', idn: '8803033456789', phone: '01033332222' })).customerId
    const codes = await center.ra.createEnrollmentCodes(other, 'limited', 'issue')
    const genm = await openssl(['cmp', '-cmd', 'genm', '-server', `${center.url}/.well-known/cmp`, '-ref', codes.reference, '-secret', `pass:${codes.authCode}`, '-recipient', '/CN=x'], dir)
    expect(genm.out).toContain('received GENP')
    expect(genm.out).toContain('id-it-caCerts')
    await run(OPENSSL, ['req', '-new', '-key', 'key4.pem', '-subj', '/CN=p10', '-out', 'p10.csr'], { cwd: dir })
    const r = await openssl(
      ['cmp', '-cmd', 'p10cr', '-csr', 'p10.csr', '-server', `${center.url}/.well-known/cmp`, '-ref', codes.reference, '-secret', `pass:${codes.authCode}`, '-recipient', '/CN=x', '-certout', 'p10.pem', '-out_trusted', 'ca.pem'],
      dir,
    )
    expect(r.out).toContain('received PKICONF')
    expect((await openssl(['verify', '-CAfile', 'ca.pem', 'p10.pem'], dir)).out).toContain('p10.pem: OK')
    expect((await center.ca.findActiveCert(other, 'limited'))?.serialHex).toBe(serialOf('p10.pem'))
  })
})
