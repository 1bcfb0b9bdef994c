import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { pkcs12Kdf, readPfx, writePfx } from './pfx'
import { decryptSignPri, readRandomNum } from './signpri'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures')
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, name)))
const PASSWORD = readFileSync(join(FIX, 'pypinksign/password.txt'), 'utf8')
const TEST_PFX = fixture('pypinksign/test.pfx')
const CERT = fixture('pypinksign/signCert.der')
const PLAIN = fixture('pypinksign/plainSignPri.der')
const CA_CERT = new Uint8Array(new X509Certificate(readFileSync(join(FIX, 'cmp/ca.crt'))).raw)
const RANDOM_NUM = '7858b4328390805129f01c97fe6ca4a520cbd479'
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return (e as CertError).code
  }
  return 'resolved'
}

// A minimal DER/BER builder for hand-made PFX files the writer never produces.
function len(n: number): number[] {
  if (n < 0x80) return [n]
  const b: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff)
  return [0x80 | b.length, ...b]
}
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p))
const t = (tag: number, ...p: Uint8Array[]): Uint8Array => {
  const body = cat(...p)
  return cat(Uint8Array.from([tag, ...len(body.length)]), body)
}
/** Indefinite-length form, as Java and some Windows tools write. */
const tIndef = (tag: number, ...p: Uint8Array[]): Uint8Array => cat(Uint8Array.of(tag, 0x80), ...p, Uint8Array.of(0, 0))
const seq = (...p: Uint8Array[]): Uint8Array => t(0x30, ...p)
const set = (...p: Uint8Array[]): Uint8Array => t(0x31, ...p)
const ctx0 = (...p: Uint8Array[]): Uint8Array => t(0xa0, ...p)
const octs = (b: Uint8Array): Uint8Array => t(0x04, b)
const int = (n: number): Uint8Array => {
  const b: number[] = []
  for (let v = n; ; v = Math.floor(v / 256)) {
    b.unshift(v & 0xff)
    if (v < 256) break
  }
  if (b[0]! & 0x80) b.unshift(0)
  return t(0x02, Uint8Array.from(b))
}
const oid = (s: string): Uint8Array => {
  const a = s.split('.').map(Number)
  const out: number[] = []
  for (const v of [a[0]! * 40 + a[1]!, ...a.slice(2)]) {
    const c = [v & 0x7f]
    for (let r = Math.floor(v / 128); r > 0; r = Math.floor(r / 128)) c.unshift((r & 0x7f) | 0x80)
    out.push(...c)
  }
  return t(0x06, Uint8Array.from(out))
}
const DATA = '1.2.840.113549.1.7.1'
const keyBag = (pkcs8: Uint8Array, attrs?: Uint8Array): Uint8Array => seq(oid('1.2.840.113549.1.12.10.1.1'), ctx0(pkcs8), ...(attrs ? [attrs] : []))
const certBag = (der: Uint8Array, attrs?: Uint8Array): Uint8Array =>
  seq(oid('1.2.840.113549.1.12.10.1.3'), ctx0(seq(oid('1.2.840.113549.1.9.22.1'), ctx0(octs(der)))), ...(attrs ? [attrs] : []))
/** An unencrypted, MAC-less PFX holding the given bags in one data safe. */
const plainPfx = (...bags: Uint8Array[]): Uint8Array => seq(int(3), seq(oid(DATA), ctx0(octs(seq(seq(oid(DATA), ctx0(octs(seq(...bags)))))))))

/** Drops the MacData of a PFX (the third element of the outer SEQUENCE). */
function stripMac(pfx: Uint8Array): Uint8Array {
  const hdr = pfx[1]! & 0x80 ? 2 + (pfx[1]! & 0x7f) : 2
  let p = hdr
  const parts: Uint8Array[] = []
  for (let i = 0; i < 2; i++) {
    const l1 = pfx[p + 1]!
    let n = l1
    let h = 2
    if (l1 & 0x80) {
      n = 0
      for (let k = 0; k < (l1 & 0x7f); k++) n = n * 256 + pfx[p + 2 + k]!
      h = 2 + (l1 & 0x7f)
    }
    parts.push(pfx.subarray(p, p + h + n))
    p += h + n
  }
  return seq(...parts)
}

describe('readPfx on the Korean fixture (test.pfx)', () => {
  it('returns the certificate and the exact PKCS#8 with randomNum in its attributes', async () => {
    const r = await readPfx(TEST_PFX, PASSWORD)
    expect(hex(r.certDer)).toBe(hex(CERT))
    expect(r.chain).toHaveLength(0)
    expect(r.macAlgorithm).toBe('sha1')
    expect(r.encryption).toBe('pbeWithSHAAnd3-KeyTripleDES-CBC')
    expect(r.certEncryption).toBe('none')
    expect(hex(r.localKeyId)).toBe('a9ab98bd24851ecd625f1fdd790b54aa8c817ef6')
    expect(hex(readRandomNum(r.pkcs8))).toBe(RANDOM_NUM)
    // The PFX holds the same plaintext as signPri.key, attributes and all.
    expect(hex(r.pkcs8)).toBe(hex(decryptSignPri(fixture('pypinksign/signPri.key'), PASSWORD).pkcs8))
    // plainSignPri.der is that key without its [0] attributes: same version, algorithm and key.
    expect(hex(r.pkcs8.subarray(4, PLAIN.length))).toBe(hex(PLAIN.subarray(4)))
  })

  it('rejects a wrong password with WRONG_PASSWORD', async () => {
    expect(await codeOf(readPfx(TEST_PFX, PASSWORD + 'x'))).toBe('WRONG_PASSWORD')
    expect(await codeOf(readPfx(TEST_PFX, ''))).toBe('WRONG_PASSWORD')
  })
})

describe('writePfx → readPfx', () => {
  for (const profile of ['modern', 'compatible'] as const) {
    it(`${profile}: keeps the PKCS#8 byte for byte, the chain in order and the friendly name`, async () => {
      const { pkcs8 } = await readPfx(TEST_PFX, PASSWORD)
      const pfx = await writePfx({ certDer: CERT, pkcs8, chain: [CA_CERT, CERT.slice()], friendlyName: '홍길동 인증서' }, 'new pass 1!', profile, { iterations: 1000 })
      const r = await readPfx(pfx, 'new pass 1!')
      expect(hex(r.pkcs8)).toBe(hex(pkcs8))
      expect(hex(r.certDer)).toBe(hex(CERT))
      expect(r.chain.map(hex)).toEqual([hex(CA_CERT), hex(CERT)])
      expect(r.friendlyName).toBe('홍길동 인증서')
      expect(hex(r.localKeyId)).toBe(createHash('sha1').update(CERT).digest('hex'))
      if (profile === 'modern') {
        expect(r.macAlgorithm).toBe('sha256')
        expect(r.encryption).toBe('PBES2(PBKDF2-HMAC-SHA256, AES-256-CBC)')
        expect(r.certEncryption).toBe('PBES2(PBKDF2-HMAC-SHA256, AES-256-CBC)')
      } else {
        expect(r.macAlgorithm).toBe('sha1')
        expect(r.encryption).toBe('pbeWithSHAAnd3-KeyTripleDES-CBC')
        expect(r.certEncryption).toBe('pbeWithSHAAnd3-KeyTripleDES-CBC')
      }
      expect(await codeOf(readPfx(pfx, 'new pass 1?'))).toBe('WRONG_PASSWORD')
    })
  }

  it('uses 100,000 iterations for modern and 2048 for compatible by default', async () => {
    const { pkcs8 } = await readPfx(TEST_PFX, PASSWORD)
    const modern = Buffer.from(await writePfx({ certDer: CERT, pkcs8 }, 'pw', 'modern'))
    const compatible = Buffer.from(await writePfx({ certDer: CERT, pkcs8 }, 'pw', 'compatible'))
    // INTEGER 100000 and INTEGER 2048, each three times (key, certificates, MAC).
    const count = (b: Buffer, needle: string): number => b.toString('hex').split(needle).length - 1
    expect(count(modern, '0203' + '0186a0')).toBeGreaterThanOrEqual(3)
    expect(count(compatible, '0202' + '0800')).toBeGreaterThanOrEqual(3)
    expect((await readPfx(modern, 'pw')).macAlgorithm).toBe('sha256')
  })

  it('round-trips an empty password', async () => {
    const { pkcs8 } = await readPfx(TEST_PFX, PASSWORD)
    for (const profile of ['modern', 'compatible'] as const) {
      const pfx = await writePfx({ certDer: CERT, pkcs8 }, '', profile, { iterations: 10 })
      expect(hex((await readPfx(pfx, '')).pkcs8)).toBe(hex(pkcs8))
    }
  })

  it('refuses a key that does not belong to the certificate (KEY_MISMATCH)', async () => {
    const other = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }))
    expect(await codeOf(writePfx({ certDer: CERT, pkcs8: other }, 'pw', 'compatible'))).toBe('KEY_MISMATCH')
    expect(await codeOf(writePfx({ certDer: CERT, pkcs8: PLAIN }, 'pw', 'compatible', { iterations: 0 }))).toBe('BAD_REQUEST')
    expect(await codeOf(writePfx({ certDer: CERT, pkcs8: unhex('3003020100') }, 'pw', 'compatible'))).toBe('DAMAGED')
  })
})

describe('readPfx on hand-made files', () => {
  const RANDOM_ATTR = seq(oid('1.2.410.200004.10.1.1.3'), set(t(0x03, unhex('00' + RANDOM_NUM))))

  it('moves a randomNum bag attribute into the PKCS#8 attributes', async () => {
    const pfx = plainPfx(certBag(CERT), keyBag(PLAIN, set(RANDOM_ATTR)))
    const r = await readPfx(pfx, 'anything')
    expect(r.macAlgorithm).toBeUndefined()
    expect(r.encryption).toBe('none')
    expect(hex(readRandomNum(r.pkcs8))).toBe(RANDOM_NUM)
    // Exactly the layout Korean software writes (and test.pfx holds).
    expect(hex(r.pkcs8)).toBe(hex((await readPfx(TEST_PFX, PASSWORD)).pkcs8))
  })

  it('reads BER indefinite lengths and constructed OCTET STRINGs', async () => {
    const half = Math.floor(CERT.length / 2)
    const chunkedCert = tIndef(0x24, octs(CERT.subarray(0, half)), octs(CERT.subarray(half)))
    const bag = seq(oid('1.2.840.113549.1.12.10.1.3'), ctx0(seq(oid('1.2.840.113549.1.9.22.1'), ctx0(chunkedCert))))
    const safe = tIndef(0x30, bag, keyBag(PLAIN))
    const pfx = tIndef(0x30, int(3), tIndef(0x30, oid(DATA), tIndef(0xa0, tIndef(0x24, octs(tIndef(0x30, tIndef(0x30, oid(DATA), tIndef(0xa0, octs(safe)))))))))
    const r = await readPfx(pfx, '')
    expect(hex(r.certDer)).toBe(hex(CERT))
    expect(hex(r.pkcs8)).toBe(hex(PLAIN))
  })

  it('says KEY_MISMATCH when no certificate belongs to the key', async () => {
    const other = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }))
    expect(await codeOf(readPfx(plainPfx(certBag(CERT), keyBag(other)), ''))).toBe('KEY_MISMATCH')
    // The matching certificate is picked even when it is not first, the rest become the chain.
    const r = await readPfx(plainPfx(certBag(CA_CERT), certBag(CERT), keyBag(PLAIN)), '')
    expect(hex(r.certDer)).toBe(hex(CERT))
    expect(r.chain.map(hex)).toEqual([hex(CA_CERT)])
  })

  it('says DAMAGED when the key or the certificate is missing', async () => {
    expect(await codeOf(readPfx(plainPfx(certBag(CERT)), ''))).toBe('DAMAGED')
    expect(await codeOf(readPfx(plainPfx(keyBag(PLAIN)), ''))).toBe('DAMAGED')
  })

  it('refuses absurd iteration counts quickly (UNSUPPORTED)', async () => {
    const macData = seq(seq(seq(oid('1.3.14.3.2.26'), t(0x05)), octs(new Uint8Array(20))), octs(new Uint8Array(8)), int(0x7fffffff))
    const authSafe = octs(seq(seq(oid(DATA), ctx0(octs(seq(certBag(CERT), keyBag(PLAIN)))))))
    const pfx = seq(int(3), seq(oid(DATA), ctx0(authSafe)), macData)
    const started = performance.now()
    expect(await codeOf(readPfx(pfx, 'pw'))).toBe('UNSUPPORTED')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('reads a MAC-less file and still tells a wrong password from a right one', async () => {
    const { pkcs8 } = await readPfx(TEST_PFX, PASSWORD)
    for (const profile of ['modern', 'compatible'] as const) {
      const noMac = stripMac(await writePfx({ certDer: CERT, pkcs8 }, 'pw-123', profile, { iterations: 50 }))
      const r = await readPfx(noMac, 'pw-123')
      expect(r.macAlgorithm).toBeUndefined()
      expect(hex(r.pkcs8)).toBe(hex(pkcs8))
      expect(await codeOf(readPfx(noMac, 'pw-124'))).toBe('WRONG_PASSWORD')
    }
  })

  it('says DAMAGED for garbage, truncation and other DER', async () => {
    const good = await writePfx({ certDer: CERT, pkcs8: PLAIN }, 'pw', 'compatible', { iterations: 10 })
    const inputs = [new Uint8Array(0), new TextEncoder().encode('not a pfx at all'), CERT, PLAIN, good.subarray(0, good.length >> 1), Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff)]
    for (const input of inputs) expect(await codeOf(readPfx(input, 'pw'))).toBe('DAMAGED')
  })
})

describe('pkcs12Kdf', () => {
  // Published PKCS#12 KDF vectors (Bouncy Castle PKCS12Test / RFC 7292 appendix B), SHA-1.
  const bmp = (s: string): Uint8Array => {
    const b = new Uint8Array(s.length * 2 + 2)
    for (let i = 0; i < s.length; i++) b[2 * i + 1] = s.charCodeAt(i)
    return b
  }
  it('matches known answers', () => {
    expect(hex(pkcs12Kdf('sha1', bmp('smeg'), unhex('0a58cf64530d823f'), 1, 1, 24))).toBe('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3')
    expect(hex(pkcs12Kdf('sha1', bmp('smeg'), unhex('0a58cf64530d823f'), 2, 1, 8))).toBe('79993dfe048d3b76')
    expect(hex(pkcs12Kdf('sha1', bmp('queeg'), unhex('1682c0fc5b3f7ec5'), 1, 1000, 24))).toBe('483dd6e919d7de2e8e648ba8f862f3fbfbdc2bcb2c02957f')
    expect(hex(pkcs12Kdf('sha1', bmp('queeg'), unhex('1682c0fc5b3f7ec5'), 2, 1000, 8))).toBe('9d461d1b00355c50')
  })

  it('iterates SHA-256 and SHA-384 like a plain hash loop', () => {
    for (const alg of ['sha256', 'sha384', 'sha1'] as const) {
      const D = new Uint8Array(alg === 'sha384' ? 128 : 64).fill(3)
      const salt = unhex('0102030405060708')
      const pw = bmp('pw')
      const fill = (s: Uint8Array, v: number): Buffer => Buffer.from(Array.from({ length: v * Math.ceil(s.length / v) }, (_, i) => s[i % s.length]!))
      let a = createHash(alg).update(D).update(fill(salt, D.length)).update(fill(pw, D.length)).digest()
      for (let i = 1; i < 777; i++) a = createHash(alg).update(a).digest()
      expect(hex(pkcs12Kdf(alg, pw, salt, 3, 777, a.length))).toBe(hex(a))
    }
  })
})
