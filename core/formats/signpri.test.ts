import { execFileSync } from 'node:child_process'
import { createHash, createSign, createVerify, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { seedCbcEncrypt } from './seed'
import {
  decryptSignPri,
  deriveKeyIv,
  encryptSignPri,
  MAX_ITERATIONS,
  openSignKey,
  parseEncryptedSignPri,
  pbkdf1Sha1,
  readRandomNum,
  withRandomNum,
} from './signpri'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, name)))
const PASSWORD = readFileSync(join(FIX, 'password.txt'), 'utf8')
const SIGN_PRI = fixture('signPri.key')
const PBES2_PRI = fixture('pbes2_signPri.key')
const SIGN_CERT = fixture('signCert.der')
const PLAIN = fixture('plainSignPri.der')
const RANDOM_NUM = '7858b4328390805129f01c97fe6ca4a520cbd479'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const OPENSSL_LEGACY = ['-provider', 'legacy', '-provider', 'default']

const tmp = mkdtempSync(join(tmpdir(), 'signpri-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return (e as CertError).code
  }
  throw new Error('expected a CertError')
}

/** PBKDF1-SHA1 written out in the test, independent of the module under test. */
function refPbkdf1(pw: string, salt: Uint8Array, iter: number): Buffer {
  let t = createHash('sha1').update(pw).update(salt).digest()
  for (let i = 1; i < iter; i++) t = createHash('sha1').update(t).digest()
  return t
}

function opensslSeedDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync('openssl', ['enc', '-d', '-seed-cbc', ...OPENSSL_LEGACY, '-K', hex(key), '-iv', hex(iv)], { input: data }))
}

/** The ciphertext of an EncryptedPrivateKeyInfo, extracted by openssl asn1parse. */
function opensslCiphertext(keyFile: Uint8Array, offset: number): Uint8Array {
  const inPath = join(tmp, `k-${Math.random().toString(36).slice(2)}.der`)
  const outPath = `${inPath}.ct`
  writeFileSync(inPath, keyFile)
  execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', inPath, '-strparse', String(offset), '-noout', '-out', outPath])
  return new Uint8Array(readFileSync(outPath))
}

describe('fixture signPri.key (scheme A)', () => {
  it('parses the pbeWithSHA1AndSEED-CBC header', () => {
    const enc = parseEncryptedSignPri(SIGN_PRI)
    expect(enc.scheme).toBe('A')
    expect(hex(enc.salt)).toBe('c8ea2fa25023c285')
    expect(enc.iterations).toBe(2048)
    expect(enc.ciphertext).toHaveLength(1264)
  })

  it('derives the PBKDF1 DK, key and IV given in NPKI.md §8', () => {
    const enc = parseEncryptedSignPri(SIGN_PRI)
    expect(hex(pbkdf1Sha1(new TextEncoder().encode(PASSWORD), enc.salt, 2048))).toBe('6240e2686a6abbc48c922ccba906bb91c58eec36')
    const { key, iv } = deriveKeyIv(enc, PASSWORD)
    expect(hex(key)).toBe('6240e2686a6abbc48c922ccba906bb91')
    expect(hex(iv)).toBe('4471a1fd154167f22848770d578a5b73')
  })

  it('decrypts to exactly what openssl enc -d -seed-cbc yields, with randomNum', () => {
    const { pkcs8, scheme } = decryptSignPri(SIGN_PRI, PASSWORD)
    expect(scheme).toBe('A')
    const dk = refPbkdf1(PASSWORD, unhex('c8ea2fa25023c285'), 2048)
    const iv = createHash('sha1').update(dk.subarray(16, 20)).digest().subarray(0, 16)
    const theirs = opensslSeedDecrypt(dk.subarray(0, 16), iv, opensslCiphertext(SIGN_PRI, 32))
    expect(hex(pkcs8)).toBe(hex(theirs))
    expect(hex(readRandomNum(pkcs8) as Uint8Array)).toBe(RANDOM_NUM)
  })

  it('relates to plainSignPri.der: the same key, which that file stores without the randomNum attribute', () => {
    // plainSignPri.der is the PKCS#8 with its [0] attributes stripped (1217 bytes); the real
    // plaintext is 1258 bytes: identical fields plus the randomNum attribute.
    const { pkcs8 } = decryptSignPri(SIGN_PRI, PASSWORD)
    expect(PLAIN).toHaveLength(1217)
    expect(pkcs8).toHaveLength(1258)
    expect(hex(pkcs8.subarray(4, 1217))).toBe(hex(PLAIN.subarray(4)))
    expect(readRandomNum(PLAIN)).toBeUndefined()
    expect(hex(withRandomNum(PLAIN, unhex(RANDOM_NUM)))).toBe(hex(pkcs8))
  })

  it('re-encrypting with the same salt reproduces the fixture file byte for byte', () => {
    const { pkcs8 } = decryptSignPri(SIGN_PRI, PASSWORD)
    const again = encryptSignPri(pkcs8, PASSWORD, { salt: unhex('c8ea2fa25023c285') })
    expect(hex(again)).toBe(hex(SIGN_PRI))
  })

  it('opens the key against signCert.der and signs verifiably', () => {
    const opened = openSignKey(SIGN_CERT, SIGN_PRI, PASSWORD)
    expect(opened.scheme).toBe('A')
    expect(hex(opened.randomNum as Uint8Array)).toBe(RANDOM_NUM)
    expect(opened.privateKey.asymmetricKeyType).toBe('rsa')
    const sig = createSign('sha256').update('hello').sign(opened.privateKey)
    expect(createVerify('sha256').update('hello').verify(new X509Certificate(SIGN_CERT).publicKey, sig)).toBe(true)
  })

  it('a wrong password is WRONG_PASSWORD, never a parse error', () => {
    for (const pw of ['', 'wrong', PASSWORD + 'x', PASSWORD.toLowerCase(), 'WTuA8Ev0lWXVFSiI']) {
      expect(codeOf(() => decryptSignPri(SIGN_PRI, pw))).toBe('WRONG_PASSWORD')
      expect(codeOf(() => openSignKey(SIGN_CERT, SIGN_PRI, pw))).toBe('WRONG_PASSWORD')
    }
  })

  it('a key that does not belong to the certificate is WRONG_PASSWORD with reason key-mismatch', () => {
    const other = join(tmp, 'other.der')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp, 'other.pem'), '-subj', '/CN=other', '-days', '1', '-outform', 'DER', '-out', other], { stdio: 'ignore' })
    try {
      openSignKey(new Uint8Array(readFileSync(other)), SIGN_PRI, PASSWORD)
      throw new Error('expected failure')
    } catch (e) {
      expect((e as CertError).code).toBe('WRONG_PASSWORD')
      expect((e as CertError).params).toEqual({ reason: 'key-mismatch' })
    }
  })

  it('an unparsable certificate is DAMAGED', () => {
    expect(codeOf(() => openSignKey(new Uint8Array(10), SIGN_PRI, PASSWORD))).toBe('DAMAGED')
  })
})

describe('fixture pbes2_signPri.key (scheme C)', () => {
  it('parses PBES2/PBKDF2/seedCBC and derives the expected KDF output', () => {
    const enc = parseEncryptedSignPri(PBES2_PRI)
    expect(enc.scheme).toBe('C')
    expect(hex(enc.salt)).toBe('28ce9089e2828009')
    expect(enc.iterations).toBe(1024)
    expect(enc.prf).toBe('sha1')
    expect(hex(enc.iv as Uint8Array)).toBe('98135f902385f9013590823098e09cfe')
    const { key, iv } = deriveKeyIv(enc, PASSWORD)
    expect(hex(key)).toBe('01739401d7f3df5319eff4edb0afa66f')
    expect(hex(iv)).toBe('98135f902385f9013590823098e09cfe')
  })

  it('its filler ciphertext is rejected as a wrong password, not a crash', () => {
    expect(codeOf(() => decryptSignPri(PBES2_PRI, PASSWORD))).toBe('WRONG_PASSWORD')
  })
})

describe('writing keys', () => {
  const { pkcs8 } = decryptSignPri(SIGN_PRI, PASSWORD)

  it.each(['A', 'C'] as const)('scheme %s round-trips the PKCS#8 byte for byte', (scheme) => {
    const a = encryptSignPri(pkcs8, 'New-pass#2024', { scheme })
    const b = encryptSignPri(pkcs8, 'New-pass#2024', { scheme })
    expect(hex(a)).not.toBe(hex(b)) // fresh salt (and IV) each time
    const enc = parseEncryptedSignPri(a)
    expect(enc.scheme).toBe(scheme)
    expect(enc.iterations).toBe(2048)
    expect(enc.salt).toHaveLength(8)
    const back = decryptSignPri(a, 'New-pass#2024')
    expect(back.scheme).toBe(scheme)
    expect(hex(back.pkcs8)).toBe(hex(pkcs8))
    expect(hex(readRandomNum(back.pkcs8) as Uint8Array)).toBe(RANDOM_NUM)
    expect(codeOf(() => decryptSignPri(a, PASSWORD))).toBe('WRONG_PASSWORD')
  })

  it('honours the iteration count and rejects out-of-range ones', () => {
    expect(parseEncryptedSignPri(encryptSignPri(pkcs8, 'x', { iterations: 5000 })).iterations).toBe(5000)
    expect(codeOf(() => encryptSignPri(pkcs8, 'x', { iterations: 0 }))).toBe('BAD_REQUEST')
    expect(codeOf(() => encryptSignPri(pkcs8, 'x', { iterations: MAX_ITERATIONS + 1 }))).toBe('BAD_REQUEST')
  })

  it('OpenSSL decrypts a scheme C key we wrote (openssl pkcs8, and openssl kdf + enc byte-exact)', () => {
    const salt = unhex('0102030405060708')
    const iv = unhex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf')
    const file = join(tmp, 'c.key')
    writeFileSync(file, encryptSignPri(pkcs8, PASSWORD, { scheme: 'C', salt, iv }))
    const pwFile = join(tmp, 'pw.txt')
    writeFileSync(pwFile, PASSWORD)
    // openssl pkcs8 decrypts and prints the RSA key (PKCS#1), which must be the one inside our PKCS#8.
    const rsa = execFileSync('openssl', ['pkcs8', '-inform', 'DER', '-in', file, '-passin', `file:${pwFile}`, ...OPENSSL_LEGACY, '-outform', 'DER'])
    expect(hex(rsa)).toBe(hex(PLAIN.subarray(26)))
    // Full plaintext with attributes: derive with openssl kdf, decrypt with openssl enc.
    const key = execFileSync('openssl', ['kdf', '-keylen', '16', '-kdfopt', 'digest:SHA1', '-kdfopt', `pass:${PASSWORD}`, '-kdfopt', 'hexsalt:0102030405060708', '-kdfopt', 'iter:2048', 'PBKDF2'])
      .toString()
      .trim()
      .replace(/:/g, '')
    const ctOffset = parseEncryptedSignPri(new Uint8Array(readFileSync(file))).ciphertext.byteOffset - 4
    const plain = opensslSeedDecrypt(unhex(key), iv, opensslCiphertext(new Uint8Array(readFileSync(file)), ctOffset))
    expect(hex(plain)).toBe(hex(pkcs8))
  })

  it('OpenSSL decrypts a scheme C key with an HMAC-SHA256 PRF', () => {
    const file = join(tmp, 'c256.key')
    writeFileSync(file, encryptSignPri(pkcs8, PASSWORD, { scheme: 'C', prf: 'sha256' }))
    const pwFile = join(tmp, 'pw.txt')
    writeFileSync(pwFile, PASSWORD)
    const rsa = execFileSync('openssl', ['pkcs8', '-inform', 'DER', '-in', file, '-passin', `file:${pwFile}`, ...OPENSSL_LEGACY, '-outform', 'DER'])
    expect(hex(rsa)).toBe(hex(PLAIN.subarray(26)))
    expect(hex(decryptSignPri(new Uint8Array(readFileSync(file)), PASSWORD).pkcs8)).toBe(hex(pkcs8))
  })

  it('openssl enc -d -seed-cbc opens a scheme A key we wrote with the PBKDF1 key and IV', () => {
    const file = encryptSignPri(pkcs8, 'Another#pw9', { scheme: 'A' })
    const enc = parseEncryptedSignPri(file)
    const dk = refPbkdf1('Another#pw9', enc.salt, enc.iterations)
    const iv = createHash('sha1').update(dk.subarray(16, 20)).digest().subarray(0, 16)
    const plain = opensslSeedDecrypt(dk.subarray(0, 16), iv, opensslCiphertext(file, enc.ciphertext.byteOffset - 4))
    expect(hex(plain)).toBe(hex(pkcs8))
  })
})

describe('scheme B and malformed headers', () => {
  const { pkcs8 } = decryptSignPri(SIGN_PRI, PASSWORD)

  function header(oid: string, salt: string, iterHex: string): string {
    const params = `0408${salt}02${(iterHex.length / 2).toString(16).padStart(2, '0')}${iterHex}`
    const paramSeq = `30${(params.length / 2).toString(16).padStart(2, '0')}${params}`
    const oidDer = oid === 'B' ? '06082a831a8c9a440104' : oid === 'A' ? '06082a831a8c9a44010f' : oid
    const body = oidDer + paramSeq
    return `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`
  }

  function keyFile(algHex: string, ciphertext: Uint8Array): Uint8Array {
    const body = algHex + octet(ciphertext)
    const len = body.length / 2
    return unhex(`3082${len.toString(16).padStart(4, '0')}${body}`)
  }

  function octet(b: Uint8Array): string {
    return `0482${b.length.toString(16).padStart(4, '0')}${hex(b)}`
  }

  it('reads scheme B (seedCBC with the fixed IV 0123456789012345), encrypted by openssl', () => {
    const salt = '1122334455667788'
    const dk = refPbkdf1(PASSWORD, unhex(salt), 2048)
    const ct = execFileSync('openssl', ['enc', '-seed-cbc', ...OPENSSL_LEGACY, '-K', dk.subarray(0, 16).toString('hex'), '-iv', Buffer.from('0123456789012345').toString('hex')], { input: pkcs8 })
    const file = keyFile(header('B', salt, '0800'), new Uint8Array(ct))
    const got = decryptSignPri(file, PASSWORD)
    expect(got.scheme).toBe('B')
    expect(hex(got.pkcs8)).toBe(hex(pkcs8))
    expect(openSignKey(SIGN_CERT, file, PASSWORD).scheme).toBe('B')
  })

  it('refuses iteration counts above the maximum with UNSUPPORTED, before deriving anything', () => {
    const ct = seedCbcEncrypt(new Uint8Array(16), new Uint8Array(16), pkcs8)
    const file = keyFile(header('A', '1122334455667788', '7fffffff'), ct)
    const t = Date.now()
    expect(codeOf(() => decryptSignPri(file, PASSWORD))).toBe('UNSUPPORTED')
    expect(Date.now() - t).toBeLessThan(200)
    expect(codeOf(() => decryptSignPri(keyFile(header('A', '1122334455667788', '00'), ct), PASSWORD))).toBe('DAMAGED')
  })

  it('unknown algorithms are UNSUPPORTED, garbage is DAMAGED', () => {
    const ct = seedCbcEncrypt(new Uint8Array(16), new Uint8Array(16), pkcs8)
    expect(codeOf(() => decryptSignPri(keyFile(header('06032a0304', '1122334455667788', '0800'), ct), PASSWORD))).toBe('UNSUPPORTED')
    expect(codeOf(() => decryptSignPri(new Uint8Array(0), PASSWORD))).toBe('DAMAGED')
    expect(codeOf(() => decryptSignPri(unhex('3003020101'), PASSWORD))).toBe('DAMAGED')
    expect(codeOf(() => decryptSignPri(SIGN_PRI.subarray(0, 600), PASSWORD))).toBe('DAMAGED')
    expect(codeOf(() => decryptSignPri(new Uint8Array([...SIGN_PRI, 0]), PASSWORD))).toBe('DAMAGED')
  })
})
