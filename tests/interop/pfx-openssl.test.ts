import { execFileSync, spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { readPfx, writePfx } from '../../core/formats/pfx'

// The other side of every test here is the real OpenSSL 3 CLI (and, once, Java's keytool).
const OPENSSL = '/usr/bin/openssl'
const LEGACY = ['-provider', 'legacy', '-provider', 'default']
const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures')
const PPS = join(FIX, 'pypinksign')
const PASSWORD_FILE = join(PPS, 'password.txt')
const PASSWORD = readFileSync(PASSWORD_FILE, 'utf8')
const CERT = new Uint8Array(readFileSync(join(PPS, 'signCert.der')))
const RANDOM_NUM_OPENSSL = '1.2.410.200004.10.1.1.3: 78 58 B4 32 83 90 80 51 29 F0 1C 97 FE 6C A4 A5 20 CB D4 79'
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex')

let dir = ''
const path = (name: string): string => join(dir, name)

function openssl(args: string[], input?: string | Uint8Array): { code: number; out: string; err: string; raw: Buffer } {
  const r = spawnSync(OPENSSL, args, { input, maxBuffer: 16 << 20 })
  return { code: r.status ?? -1, out: r.stdout.toString('latin1'), err: r.stderr.toString(), raw: r.stdout }
}

function ok(args: string[], input?: string | Uint8Array): Buffer {
  const r = openssl(args, input)
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.err}`)
  return r.raw
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return (e as CertError).code
  }
  return 'resolved'
}

const pemToDer = (pem: string): Uint8Array[] =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')))

let fixturePkcs8: Uint8Array
let leafKeyPkcs8: Uint8Array
let leafDer: Uint8Array
let caDer: Uint8Array

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pfx-interop-'))
  fixturePkcs8 = (await readPfx(new Uint8Array(readFileSync(join(PPS, 'test.pfx'))), PASSWORD)).pkcs8
  writeFileSync(path('pw.txt'), 'Interop-Pass#42')
  // A small CA and a leaf it signed, made by OpenSSL, for files OpenSSL exports.
  ok(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path('ca.key'), '-out', path('ca.pem'), '-subj', '/CN=Interop CA', '-days', '2'])
  ok(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', path('leaf.key')])
  ok(['req', '-new', '-key', path('leaf.key'), '-subj', '/C=KR/O=Interop/CN=Leaf', '-out', path('leaf.csr')])
  ok(['x509', '-req', '-in', path('leaf.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '2', '-out', path('leaf.pem')])
  leafKeyPkcs8 = new Uint8Array(ok(['pkcs8', '-topk8', '-nocrypt', '-in', path('leaf.key'), '-outform', 'DER']))
  leafDer = new Uint8Array(new X509Certificate(readFileSync(path('leaf.pem'))).raw)
  caDer = new Uint8Array(new X509Certificate(readFileSync(path('ca.pem'))).raw)
  writeFileSync(path('fixture-cert.pem'), ok(['x509', '-inform', 'DER', '-in', join(PPS, 'signCert.der')]))
}, 60_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('OpenSSL reads what writePfx writes', () => {
  const expectations = {
    modern: ['MAC: sha256, Iteration 100000', 'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256', 'PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC'],
    compatible: ['MAC: sha1, Iteration 2048', 'Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048', 'PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048'],
  }

  for (const profile of ['modern', 'compatible'] as const) {
    it(`${profile}: openssl pkcs12 -info shows the algorithms and the randomNum key attribute`, async () => {
      const file = path(`ours-${profile}.pfx`)
      writeFileSync(file, await writePfx({ certDer: CERT, pkcs8: fixturePkcs8, friendlyName: 'hong' }, PASSWORD, profile))
      // No legacy provider: the compatible profile must open with OpenSSL 3's defaults too.
      const info = openssl(['pkcs12', '-info', '-nodes', '-in', file, '-passin', `file:${PASSWORD_FILE}`])
      expect(info.code).toBe(0)
      const text = info.out + info.err
      for (const line of expectations[profile]) expect(text).toContain(line)
      expect(text).toContain('Key Attributes')
      expect(text).toContain(RANDOM_NUM_OPENSSL)
      expect(text).toContain('friendlyName: hong')
      expect(text).toContain('CN = HKD(KILDONG.HONG)009104120200225191000030')

      // The key OpenSSL extracts has the certificate's modulus.
      const keyPem = ok(['pkcs12', '-in', file, '-nocerts', '-nodes', '-passin', `file:${PASSWORD_FILE}`])
      const keyModulus = ok(['rsa', '-modulus', '-noout'], keyPem).toString().trim()
      const certModulus = ok(['x509', '-inform', 'DER', '-in', join(PPS, 'signCert.der'), '-modulus', '-noout']).toString().trim()
      expect(keyModulus).toMatch(/^Modulus=[0-9A-F]{512}$/)
      expect(keyModulus).toBe(certModulus)

      const certs = pemToDer(ok(['pkcs12', '-in', file, '-nokeys', '-passin', `file:${PASSWORD_FILE}`]).toString())
      expect(certs.map(hex)).toEqual([hex(CERT)])

      const wrong = openssl(['pkcs12', '-info', '-nodes', '-in', file, '-passin', 'pass:wrong'])
      expect(wrong.code).not.toBe(0)
      expect(wrong.err).toMatch(/mac verify/i)
    })
  }

  it('a non-ASCII password written by us opens in OpenSSL (BMPString for the MAC, UTF-8 for PBES2)', async () => {
    writeFileSync(path('ours-ko-pw.txt'), '공동인증서-비밀번호1')
    for (const profile of ['modern', 'compatible'] as const) {
      const file = path(`ours-ko-${profile}.pfx`)
      writeFileSync(file, await writePfx({ certDer: CERT, pkcs8: fixturePkcs8 }, '공동인증서-비밀번호1', profile, { iterations: 1000 }))
      const keyPem = ok(['pkcs12', '-in', file, '-nocerts', '-nodes', '-passin', `file:${path('ours-ko-pw.txt')}`])
      const certModulus = ok(['x509', '-inform', 'DER', '-in', join(PPS, 'signCert.der'), '-modulus', '-noout']).toString().trim()
      expect(ok(['rsa', '-modulus', '-noout'], keyPem).toString().trim()).toBe(certModulus)
    }
  })

  it('a chain written by us comes out of OpenSSL complete', async () => {
    const file = path('ours-chain.pfx')
    writeFileSync(file, await writePfx({ certDer: leafDer, pkcs8: leafKeyPkcs8, chain: [caDer] }, 'Interop-Pass#42', 'modern', { iterations: 2048 }))
    const certs = pemToDer(ok(['pkcs12', '-in', file, '-nokeys', '-passin', `file:${path('pw.txt')}`]).toString())
    expect(certs.map(hex).sort()).toEqual([hex(leafDer), hex(caDer)].sort())
    const key = ok(['pkcs12', '-in', file, '-nocerts', '-nodes', '-passin', `file:${path('pw.txt')}`])
    expect(hex(new Uint8Array(ok(['pkcs8', '-topk8', '-nocrypt', '-outform', 'DER'], key)))).toBe(hex(leafKeyPkcs8))
  })
})

describe('readPfx reads what OpenSSL exports', () => {
  const exportArgs = (out: string, extra: string[], pass = `file:${path('pw.txt')}`): string[] => [
    'pkcs12', '-export', '-in', path('leaf.pem'), '-inkey', path('leaf.key'), '-certfile', path('ca.pem'), '-name', 'Leaf Name', '-out', out, '-passout', pass, ...extra,
  ]

  async function readBack(file: string, password = 'Interop-Pass#42'): Promise<Awaited<ReturnType<typeof readPfx>>> {
    const r = await readPfx(new Uint8Array(readFileSync(file)), password)
    expect(hex(r.pkcs8)).toBe(hex(leafKeyPkcs8))
    expect(hex(r.certDer)).toBe(hex(leafDer))
    expect(r.chain.map(hex)).toEqual([hex(caDer)])
    expect(r.friendlyName).toBe('Leaf Name')
    return r
  }

  it('default export (AES-256-CBC, PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC)', async () => {
    ok(exportArgs(path('o-default.p12'), []))
    const r = await readBack(path('o-default.p12'))
    expect(r.macAlgorithm).toBe('sha256')
    expect(r.encryption).toBe('PBES2(PBKDF2-HMAC-SHA256, AES-256-CBC)')
    expect(r.certEncryption).toBe('PBES2(PBKDF2-HMAC-SHA256, AES-256-CBC)')
    expect(await codeOf(readPfx(new Uint8Array(readFileSync(path('o-default.p12'))), 'Interop-Pass#43'))).toBe('WRONG_PASSWORD')
  })

  it('-legacy export (3DES key, RC2-40 certificates, SHA-1 MAC)', async () => {
    ok([...exportArgs(path('o-legacy.p12'), ['-legacy']), ...LEGACY])
    const r = await readBack(path('o-legacy.p12'))
    expect(r.macAlgorithm).toBe('sha1')
    expect(r.encryption).toBe('pbeWithSHAAnd3-KeyTripleDES-CBC')
    expect(r.certEncryption).toBe('pbeWithSHAAnd40BitRC2-CBC')
    expect(await codeOf(readPfx(new Uint8Array(readFileSync(path('o-legacy.p12'))), 'nope'))).toBe('WRONG_PASSWORD')
  })

  it('-nomac export, with and without -legacy; a wrong password still shows', async () => {
    for (const [name, extra] of [
      ['o-nomac.p12', ['-nomac']],
      ['o-nomac-legacy.p12', ['-nomac', '-legacy', ...LEGACY]],
    ] as const) {
      ok(exportArgs(path(name), [...extra]))
      const r = await readBack(path(name))
      expect(r.macAlgorithm).toBeUndefined()
      expect(await codeOf(readPfx(new Uint8Array(readFileSync(path(name))), 'Interop-Pass#43'))).toBe('WRONG_PASSWORD')
    }
  })

  it('other PBEs: 2-key 3DES key, RC2-128 certificates, SHA-512 MAC; and no encryption at all', async () => {
    ok([...exportArgs(path('o-misc.p12'), ['-keypbe', 'PBE-SHA1-2DES', '-certpbe', 'PBE-SHA1-RC2-128', '-macalg', 'sha512']), ...LEGACY])
    const r = await readBack(path('o-misc.p12'))
    expect(r.encryption).toBe('pbeWithSHAAnd2-KeyTripleDES-CBC')
    expect(r.certEncryption).toBe('pbeWithSHAAnd128BitRC2-CBC')
    expect(r.macAlgorithm).toBe('sha512')
    ok(exportArgs(path('o-plain.p12'), ['-keypbe', 'NONE', '-certpbe', 'NONE']))
    const p = await readBack(path('o-plain.p12'))
    expect(p.encryption).toBe('none')
    expect(p.certEncryption).toBe('none')
  })

  it('empty and non-ASCII passwords', async () => {
    ok(exportArgs(path('o-empty.p12'), [], 'pass:'))
    await readBack(path('o-empty.p12'), '')
    writeFileSync(path('pw-ko.txt'), '공동인증서-비밀번호1')
    ok(exportArgs(path('o-ko.p12'), [], `file:${path('pw-ko.txt')}`))
    await readBack(path('o-ko.p12'), '공동인증서-비밀번호1')
    ok(exportArgs(path('o-ko-legacy.p12'), ['-legacy', ...LEGACY], `file:${path('pw-ko.txt')}`))
    await readBack(path('o-ko-legacy.p12'), '공동인증서-비밀번호1')
  })

  it('a PKCS#12 keystore written by Java keytool', async () => {
    const file = path('java.p12')
    execFileSync('keytool', ['-genkeypair', '-alias', 'me', '-keyalg', 'EC', '-groupname', 'secp256r1', '-dname', 'CN=java', '-storetype', 'PKCS12', '-keystore', file, '-storepass', 'java-pass-1', '-validity', '2'], { stdio: 'ignore' })
    const r = await readPfx(new Uint8Array(readFileSync(file)), 'java-pass-1')
    expect(r.friendlyName).toBe('me')
    expect(new X509Certificate(r.certDer).subject).toBe('CN=java')
    // Cross-check the key with OpenSSL: same public key as the certificate.
    const pub = ok(['pkey', '-inform', 'DER', '-pubout', '-outform', 'DER'], r.pkcs8)
    expect(hex(new Uint8Array(pub))).toBe(hex(new Uint8Array(new X509Certificate(r.certDer).publicKey.export({ format: 'der', type: 'spki' }))))
  }, 30_000)
})

describe('the Korean fixture test.pfx', () => {
  it('holds byte for byte the PKCS#8 that OpenSSL decrypts from signPri.key (SEED), randomNum included', async () => {
    // Key and IV of signPri.key as given in NPKI.md §8 (PBKDF1-SHA1 of the fixture password).
    const enc = ok(['asn1parse', '-inform', 'DER', '-in', join(PPS, 'signPri.key'), '-strparse', '32', '-noout', '-out', path('ct.bin')])
    expect(enc.length).toBe(0)
    const plain = new Uint8Array(ok(['enc', '-d', '-seed-cbc', ...LEGACY, '-K', '6240e2686a6abbc48c922ccba906bb91', '-iv', '4471a1fd154167f22848770d578a5b73', '-in', path('ct.bin')]))
    const r = await readPfx(new Uint8Array(readFileSync(join(PPS, 'test.pfx'))), PASSWORD)
    expect(hex(r.pkcs8)).toBe(hex(plain))
    expect(hex(r.certDer)).toBe(hex(CERT))
    // plainSignPri.der is the same key with its [0] attributes removed.
    const plainSignPri = new Uint8Array(readFileSync(join(PPS, 'plainSignPri.der')))
    expect(hex(r.pkcs8.subarray(4, plainSignPri.length))).toBe(hex(plainSignPri.subarray(4)))
    // OpenSSL sees the same randomNum we keep.
    const info = openssl(['pkcs12', '-info', '-nodes', '-in', join(PPS, 'test.pfx'), '-passin', `file:${PASSWORD_FILE}`])
    expect(info.out + info.err).toContain(RANDOM_NUM_OPENSSL)
  })

  it('re-exported by us in both profiles, OpenSSL extracts the same key as from the original', async () => {
    const original = ok(['pkcs12', '-in', join(PPS, 'test.pfx'), '-nocerts', '-nodes', '-passin', `file:${PASSWORD_FILE}`])
    const originalDer = ok(['pkey', '-outform', 'DER'], original)
    for (const profile of ['modern', 'compatible'] as const) {
      const file = path(`re-${profile}.pfx`)
      writeFileSync(file, await writePfx({ certDer: CERT, pkcs8: fixturePkcs8 }, 'Re-Export#1', profile, { iterations: 4096 }))
      writeFileSync(path('re-pw.txt'), 'Re-Export#1')
      const ours = ok(['pkcs12', '-in', file, '-nocerts', '-nodes', '-passin', `file:${path('re-pw.txt')}`])
      expect(hex(new Uint8Array(ok(['pkey', '-outform', 'DER'], ours)))).toBe(hex(new Uint8Array(originalDer)))
      expect(hex((await readPfx(new Uint8Array(readFileSync(file)), 'Re-Export#1')).pkcs8)).toBe(hex(fixturePkcs8))
    }
  })
})
