import { spawn } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { seedCbcDecrypt, seedCbcEncrypt, seedDecryptBlock, seedEncryptBlock, seedKeySchedule, SeedPaddingError } from './seed'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

// RFC 4269 appendix B: key / plaintext / ciphertext.
const RFC_VECTORS = [
  ['00000000000000000000000000000000', '000102030405060708090A0B0C0D0E0F', '5EBAC6E0054E166819AFF1CC6D346CDB'],
  ['000102030405060708090A0B0C0D0E0F', '00000000000000000000000000000000', 'C11F22F20140505084483597E4370F43'],
  ['4706480851E61BE85D74BFB3FD956185', '83A2F8A288641FB9A4E9A5CC2F131C7D', 'EE54D13EBCAE706D226BC3142CD40D4A'],
  ['28DBC3BC49FFD87DCFA509B11D422BE7', 'B41E6BE2EBA84A148E2EED84593C5EC7', '9B9B7BFCD1813CB95D0B3618F40F5122'],
] as const

function opensslEnc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['enc', '-seed-cbc', '-provider', 'legacy', '-provider', 'default', '-K', toHex(key), '-iv', toHex(iv)], { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    p.stdout.on('data', (d: Buffer) => out.push(d))
    p.stderr.on('data', (d: Buffer) => err.push(d))
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve(new Uint8Array(Buffer.concat(out))) : reject(new Error(`openssl enc failed: ${Buffer.concat(err).toString()}`))))
    p.stdin.end(data)
  })
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T)
    }
  })
  await Promise.all(workers)
  return results
}

describe('SEED block cipher', () => {
  it.each(RFC_VECTORS)('RFC 4269 vector key %s', (k, p, c) => {
    expect(toHex(seedEncryptBlock(hex(k), hex(p)))).toBe(c.toLowerCase())
    expect(toHex(seedDecryptBlock(hex(k), hex(c)))).toBe(p.toLowerCase())
  })

  it('accepts a precomputed key schedule', () => {
    const [k, p, c] = RFC_VECTORS[2]
    const rk = seedKeySchedule(hex(k))
    expect(rk).toHaveLength(32)
    expect(toHex(seedEncryptBlock(rk, hex(p)))).toBe(c.toLowerCase())
  })

  it('rejects wrong key and block sizes with BAD_REQUEST', () => {
    expect(() => seedEncryptBlock(new Uint8Array(15), new Uint8Array(16))).toThrow(CertError)
    expect(() => seedEncryptBlock(new Uint8Array(16), new Uint8Array(17))).toThrow(/16 bytes/)
    expect(() => seedCbcEncrypt(new Uint8Array(16), new Uint8Array(8), new Uint8Array(1))).toThrow(/IV/)
  })
})

describe('SEED-CBC', () => {
  it('matches the PyPinkSign SEED-CBC sample', () => {
    const key = new TextEncoder().encode('abcdefghijklmnop')
    const iv = new TextEncoder().encode('0123456789abcdef')
    const plain = new TextEncoder().encode('TEST_MSG_IS_QUITE_LONG_ENOUGH!')
    const expected = hex('ce9b783de4dd93bf52adbb3e59a7435b49d71e45703460fbdc655e2c5ca35fec')
    expect(toHex(seedCbcEncrypt(key, iv, plain))).toBe(toHex(expected))
    expect(new TextDecoder().decode(seedCbcDecrypt(key, iv, expected))).toBe('TEST_MSG_IS_QUITE_LONG_ENOUGH!')
  })

  it('pads a full block with a whole padding block and round-trips every length 0..48', () => {
    const key = randomBytes(16)
    const iv = randomBytes(16)
    expect(seedCbcEncrypt(key, iv, new Uint8Array(16))).toHaveLength(32)
    for (let n = 0; n <= 48; n++) {
      const data = new Uint8Array(randomBytes(n))
      const ct = seedCbcEncrypt(key, iv, data)
      expect(ct.length).toBe((Math.floor(n / 16) + 1) * 16)
      expect(toHex(seedCbcDecrypt(key, iv, ct))).toBe(toHex(data))
    }
  })

  it('does not modify its inputs', () => {
    const key = new Uint8Array(randomBytes(16))
    const iv = new Uint8Array(randomBytes(16))
    const data = new Uint8Array(randomBytes(40))
    const copies = [key.slice(), iv.slice(), data.slice()]
    const ct = seedCbcEncrypt(key, iv, data)
    const ctCopy = ct.slice()
    seedCbcDecrypt(key, iv, ct)
    expect([key, iv, data]).toEqual(copies)
    expect(ct).toEqual(ctCopy)
  })

  it('throws SeedPaddingError (a CertError) on bad padding and DAMAGED on bad length', () => {
    const key = new Uint8Array(16)
    const iv = new Uint8Array(16)
    const ct = seedCbcEncrypt(key, iv, new TextEncoder().encode('hello'))
    let wrongKeyFailures = 0
    for (let i = 0; i < 50; i++) {
      try {
        seedCbcDecrypt(new Uint8Array(randomBytes(16)), iv, ct)
      } catch (e) {
        expect(e).toBeInstanceOf(SeedPaddingError)
        expect((e as CertError).code).toBe('WRONG_PASSWORD')
        wrongKeyFailures++
      }
    }
    // A random key yields valid padding about 1 time in 256, so nearly all must fail.
    expect(wrongKeyFailures).toBeGreaterThan(40)
    // A final block of 0x11 (pad > 16) and one ending 0x01 0x02 (inconsistent) are both invalid.
    const rawBlock = seedEncryptBlock(key, new Uint8Array(16).fill(0x11))
    expect(() => seedCbcDecrypt(key, new Uint8Array(16), rawBlock)).toThrow(SeedPaddingError)
    const inconsistent = seedEncryptBlock(key, Uint8Array.from([...new Array(14).fill(0), 0x01, 0x02]))
    expect(() => seedCbcDecrypt(key, new Uint8Array(16), inconsistent)).toThrow(SeedPaddingError)
    expect(() => seedCbcDecrypt(key, iv, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'DAMAGED' }))
    expect(() => seedCbcDecrypt(key, iv, new Uint8Array(17))).toThrow(expect.objectContaining({ code: 'DAMAGED' }))
  })

  it('agrees with openssl enc -seed-cbc on 210 random keys, IVs and lengths', async () => {
    const fixedLengths = [0, 1, 15, 16, 17, 31, 32, 33, 255, 256, 1000, 4096]
    const cases = Array.from({ length: 210 }, (_, i) => ({
      key: new Uint8Array(randomBytes(16)),
      iv: new Uint8Array(randomBytes(16)),
      data: new Uint8Array(randomBytes(fixedLengths[i] ?? randomInt(0, 600))),
    }))
    const theirs = await mapLimit(cases, 6, (c) => opensslEnc(c.key, c.iv, c.data))
    const mismatches: string[] = []
    cases.forEach((c, i) => {
      const ours = seedCbcEncrypt(c.key, c.iv, c.data)
      const ref = theirs[i] as Uint8Array
      if (toHex(ours) !== toHex(ref)) mismatches.push(`key=${toHex(c.key)} iv=${toHex(c.iv)} len=${c.data.length}`)
      else if (toHex(seedCbcDecrypt(c.key, c.iv, ref)) !== toHex(c.data)) mismatches.push(`decrypt key=${toHex(c.key)} len=${c.data.length}`)
    })
    expect(mismatches).toEqual([])
    expect(new Set(cases.map((c) => toHex(c.key))).size).toBe(210)
  })
})
