import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, hotp, otpauthUri, totp, verifyTotp } from './totp'

const ascii = (s: string) => new TextEncoder().encode(s)

describe('base32 (RFC 4648 §10 vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ]
  it.each(vectors)('%j <-> %s', (plain, encoded) => {
    expect(base32Encode(ascii(plain))).toBe(encoded)
    expect(new TextDecoder().decode(base32Decode(encoded))).toBe(plain)
    expect(new TextDecoder().decode(base32Decode(encoded.replace(/=/g, '').toLowerCase()))).toBe(plain)
  })
  it('rejects characters outside the alphabet', () => {
    expect(() => base32Decode('MZ1W')).toThrow()
  })
})

describe('HOTP (RFC 4226 appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']
  it.each(expected.map((v, i) => [i, v] as const))('counter %i -> %s', (counter, code) => {
    expect(hotp(ascii('12345678901234567890'), counter)).toBe(code)
  })
})

describe('TOTP (RFC 6238 appendix B)', () => {
  const seed1 = ascii('12345678901234567890')
  const seed256 = ascii('12345678901234567890123456789012')
  const seed512 = ascii('1234567890123456789012345678901234567890123456789012345678901234')
  const rows: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ]
  it.each(rows)('T=%i', (t, sha1, sha256, sha512) => {
    expect(totp(seed1, t, { digits: 8 })).toBe(sha1)
    expect(totp(seed256, t, { digits: 8, algorithm: 'sha256' })).toBe(sha256)
    expect(totp(seed512, t, { digits: 8, algorithm: 'sha512' })).toBe(sha512)
  })

  it('the 6-digit code we use is the last six digits of the RFC value', () => {
    expect(totp(seed1, 1111111109)).toBe('081804')
  })

  it('accepts one step of clock drift either side, not two', () => {
    const now = 1_700_000_000
    const code = totp(seed1, now)
    expect(verifyTotp(seed1, code, now)).toBe(Math.floor(now / 30))
    expect(verifyTotp(seed1, code, now + 30)).toBe(Math.floor(now / 30))
    expect(verifyTotp(seed1, code, now - 30)).toBe(Math.floor(now / 30))
    expect(verifyTotp(seed1, code, now + 60)).toBeUndefined()
    expect(verifyTotp(seed1, '12345', now)).toBeUndefined()
    expect(verifyTotp(seed1, 'abcdef', now)).toBeUndefined()
  })
})

describe('otpauth URI', () => {
  it('carries the unpadded base32 secret and the standard parameters', () => {
    const uri = otpauthUri(ascii('12345678901234567890'), 'CertMgr 인증센터', 'C000000001')
    const u = new URL(uri)
    expect(u.protocol).toBe('otpauth:')
    expect(u.host).toBe('totp')
    expect(decodeURIComponent(u.pathname)).toBe('/CertMgr 인증센터:C000000001')
    expect(u.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
    expect(u.searchParams.get('issuer')).toBe('CertMgr 인증센터')
    expect(u.searchParams.get('digits')).toBe('6')
    expect(u.searchParams.get('period')).toBe('30')
    expect(u.searchParams.get('algorithm')).toBe('SHA1')
  })
})
