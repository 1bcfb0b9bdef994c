import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { children, readRoot, type Tlv } from '../../shared/der/reader'
import { decryptSignPri, encryptSignPri, MAX_ITERATIONS, openSignKey, parseEncryptedSignPri, readRandomNum } from '../../core/formats/signpri'

/**
 * Mutation fuzzing of the key-file reader: whatever the bytes, decryptSignPri, readRandomNum
 * and openSignKey must fail only with CertError, and quickly. Deterministic (seeded) so a
 * failure can be replayed; set FUZZ_SEED to explore other sequences.
 */

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const PASSWORD = readFileSync(join(FIX, 'password.txt'), 'utf8')
const SIGN_PRI = new Uint8Array(readFileSync(join(FIX, 'signPri.key')))
const PBES2_PRI = new Uint8Array(readFileSync(join(FIX, 'pbes2_signPri.key')))
const SIGN_CERT = new Uint8Array(readFileSync(join(FIX, 'signCert.der')))
const PER_BASE = 5000
const LOW_ITER = 16

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Offsets of every TLV header (tag byte) in a DER tree, for length-field corruption. */
function headerOffsets(buf: Uint8Array): number[] {
  const out: number[] = []
  const walk = (t: Tlv): void => {
    out.push(t.at)
    if ((t.tag & 0x20) !== 0) for (const c of children(t)) walk(c)
  }
  walk(readRoot(buf))
  return out
}

/** The INTEGER holding the iteration count: its header offset. */
function iterationOffset(buf: Uint8Array): number {
  const enc = parseEncryptedSignPri(buf)
  // The iteration INTEGER directly follows the salt OCTET STRING in every scheme.
  const saltEnd = enc.salt.byteOffset - buf.byteOffset + enc.salt.length
  expect(buf[saltEnd]).toBe(0x02)
  return saltEnd
}

/** Rewrites a 2-byte iteration count in place (same length, so no other length changes). */
function withIterations(buf: Uint8Array, n: number): Uint8Array {
  const out = buf.slice()
  const off = iterationOffset(out)
  expect(out[off + 1]).toBe(2)
  out[off + 2] = n >> 8
  out[off + 3] = n & 0xff
  return out
}

function mutate(base: Uint8Array, rnd: () => number, headers: number[], iterAt: number): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n)
  const kind = int(7)
  const b = base.slice()
  switch (kind) {
    case 0: {
      // bit flips anywhere
      const flips = 1 + int(8)
      for (let i = 0; i < flips; i++) {
        const p = int(b.length)
        b[p] = (b[p] as number) ^ (1 << int(8))
      }
      return b
    }
    case 1: // truncation
      return b.subarray(0, int(b.length))
    case 2: {
      // byte insert
      const p = int(b.length + 1)
      const out = new Uint8Array(b.length + 1)
      out.set(b.subarray(0, p))
      out[p] = int(256)
      out.set(b.subarray(p), p + 1)
      return out
    }
    case 3: {
      // length-field corruption at a real header
      const h = headers[int(headers.length)] as number
      const choices = [0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff, int(256)]
      b[h + 1] = choices[int(choices.length)] as number
      if (rnd() < 0.5 && h + 2 < b.length) b[h + 2] = int(256)
      return b
    }
    case 4: {
      // iteration count: zero, one, small, or negative, written over the INTEGER's own bytes so
      // lengths stay consistent (counts above the maximum are covered by oversizedIterations)
      const len = b[iterAt + 1] as number
      let v = [0, 1, int(64), 0xffffffff, 0x80808080][int(5)] as number
      for (let i = len - 1; i >= 0; i--) {
        b[iterAt + 2 + i] = v & 0xff
        v = Math.floor(v / 256)
      }
      return b
    }
    case 5: {
      // tag corruption at a real header
      const h = headers[int(headers.length)] as number
      b[h] = int(256)
      return b
    }
    default: {
      // ciphertext tail flips: keep the structure, disturb padding and the PKCS#8 inside
      const p = b.length - 1 - int(Math.min(64, b.length))
      b[p] = (b[p] as number) ^ (1 + int(255))
      return b
    }
  }
}

/** An iteration count above the maximum, written as a 4-byte INTEGER, must be refused without deriving. */
function oversizedIterations(base: Uint8Array): Uint8Array {
  const enc = parseEncryptedSignPri(base)
  expect(enc.scheme).toBe('A')
  const salt = Buffer.from(enc.salt).toString('hex')
  const iter = (MAX_ITERATIONS + 1).toString(16).padStart(8, '0')
  const alg = `301c06082a831a8c9a44010f30100408${salt}0204${iter}`
  const ct = `0482${enc.ciphertext.length.toString(16).padStart(4, '0')}${Buffer.from(enc.ciphertext).toString('hex')}`
  const body = alg + ct
  return Uint8Array.from(Buffer.from(`3082${(body.length / 2).toString(16).padStart(4, '0')}${body}`, 'hex'))
}

describe('signPri.key mutation fuzzing', () => {
  it('fails only with CertError, each input under 1 s, over 30,000 inputs', () => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x5eed)
    const rnd = mulberry32(seed)
    const { pkcs8 } = decryptSignPri(SIGN_PRI, PASSWORD)
    const bases: Record<string, Uint8Array> = {
      // The fixtures with their iteration counts lowered (same encoding length) to keep the run short.
      'fixture A (iter lowered)': withIterations(SIGN_PRI, LOW_ITER),
      'fixture PBES2 (iter lowered)': withIterations(PBES2_PRI, LOW_ITER),
      // Keys that really open, so mutations reach the padding and PKCS#8 checks.
      'A, opens': encryptSignPri(pkcs8, PASSWORD, { scheme: 'A', iterations: LOW_ITER, salt: new Uint8Array(8).fill(1) }),
      'C, opens': encryptSignPri(pkcs8, PASSWORD, { scheme: 'C', iterations: LOW_ITER, salt: new Uint8Array(8).fill(2), iv: new Uint8Array(16).fill(3) }),
      'C sha256, opens': encryptSignPri(pkcs8, PASSWORD, { scheme: 'C', prf: 'sha256', iterations: LOW_ITER, salt: new Uint8Array(8).fill(4), iv: new Uint8Array(16).fill(5) }),
      'A, opens (2)': encryptSignPri(pkcs8, PASSWORD, { scheme: 'A', iterations: LOW_ITER + 1, salt: new Uint8Array(8).fill(6) }),
    }
    // Sanity: the "opens" bases decrypt unmutated.
    expect(decryptSignPri(bases['C, opens'] as Uint8Array, PASSWORD).scheme).toBe('C')

    const codes: Record<string, number> = {}
    const offenders: string[] = []
    let slowest = 0
    let total = 0
    let opened = 0
    const started = Date.now()

    const attempt = (input: Uint8Array, label: string): void => {
      const t = performance.now()
      try {
        const r = decryptSignPri(input, PASSWORD)
        opened++
        readRandomNum(r.pkcs8)
        if (opened % 25 === 0) openSignKey(SIGN_CERT, input, PASSWORD)
        codes.ok = (codes.ok ?? 0) + 1
      } catch (e) {
        if (e instanceof CertError) codes[e.code] = (codes[e.code] ?? 0) + 1
        else if (offenders.length < 5) offenders.push(`${label}: ${(e as Error)?.name}: ${(e as Error)?.message} input=${Buffer.from(input).toString('hex').slice(0, 160)}`)
        else offenders.push('...')
      }
      slowest = Math.max(slowest, performance.now() - t)
      total++
    }

    for (const [label, base] of Object.entries(bases)) {
      const headers = headerOffsets(base)
      const iterAt = iterationOffset(base)
      for (let i = 0; i < PER_BASE; i++) attempt(mutate(base, rnd, headers, iterAt), label)
    }
    attempt(oversizedIterations(bases['A, opens'] as Uint8Array), 'oversized iterations')

    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify({ codes, slowest, total }))
    expect(offenders).toEqual([])
    expect(total).toBeGreaterThanOrEqual(30_000)
    expect(slowest).toBeLessThan(1000)
    // The mutator must actually reach every failure class, and some mutants must still open.
    expect(codes.DAMAGED).toBeGreaterThan(1000)
    expect(codes.WRONG_PASSWORD).toBeGreaterThan(1000)
    expect(codes.UNSUPPORTED).toBeGreaterThan(10)
    expect(codes.ok).toBeGreaterThan(10)
    expect(Date.now() - started).toBeLessThan(60_000)
  })

  it('refuses an iteration count above the maximum with UNSUPPORTED, immediately', () => {
    const { pkcs8 } = decryptSignPri(SIGN_PRI, PASSWORD)
    const input = oversizedIterations(encryptSignPri(pkcs8, PASSWORD, { iterations: LOW_ITER }))
    const t = performance.now()
    expect(() => decryptSignPri(input, PASSWORD)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }))
    expect(performance.now() - t).toBeLessThan(100)
  })
})
