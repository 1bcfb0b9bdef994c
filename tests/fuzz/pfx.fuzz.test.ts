import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { readPfx, writePfx } from '../../core/formats/pfx'
import { headerOffsets, mulberry32, mutate } from './der-mutators'

/**
 * Mutation fuzzing of readPfx: whatever the bytes, it must answer with contents or a CertError,
 * never another exception, and within a second. Seeds use one iteration so that each try is
 * cheap; MAC-less seeds make mutations reach the decryption and bag parsing instead of
 * stopping at the MAC. FUZZ_SEED explores other sequences.
 */

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const PASSWORD = readFileSync(join(FIX, 'password.txt'), 'utf8')
const CERT = new Uint8Array(readFileSync(join(FIX, 'signCert.der')))
const SEED = Number(process.env.FUZZ_SEED ?? 20261126)
const PER_SEED = 6000

/** Drops the MacData (third element of the outer SEQUENCE); our writer uses long-form lengths only. */
function stripMac(pfx: Uint8Array): Uint8Array {
  const skip = (p: number): number => {
    const l = pfx[p + 1]!
    if (l < 0x80) return p + 2 + l
    let n = 0
    for (let i = 0; i < (l & 0x7f); i++) n = n * 256 + pfx[p + 2 + i]!
    return p + 2 + (l & 0x7f) + n
  }
  const hdr = pfx[1]! & 0x80 ? 2 + (pfx[1]! & 0x7f) : 2
  const end = skip(skip(hdr))
  const body = pfx.subarray(hdr, end)
  const len = body.length
  return Uint8Array.from([0x30, 0x82, len >> 8, len & 0xff, ...body])
}

const seeds: { name: string; bytes: Uint8Array }[] = []
let dir = ''

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pfx-fuzz-'))
  const { pkcs8 } = await readPfx(new Uint8Array(readFileSync(join(FIX, 'test.pfx'))), PASSWORD)
  const input = { certDer: CERT, pkcs8, friendlyName: 'fuzz' }
  const compatible = await writePfx(input, PASSWORD, 'compatible', { iterations: 1 })
  const modern = await writePfx(input, PASSWORD, 'modern', { iterations: 1 })
  seeds.push({ name: 'ours compatible', bytes: compatible }, { name: 'ours modern', bytes: modern })
  seeds.push({ name: 'ours compatible, no MAC', bytes: stripMac(compatible) }, { name: 'ours modern, no MAC', bytes: stripMac(modern) })
  // OpenSSL-made seeds cover RC2 certificate safes and unencrypted bags.
  const keyPem = spawnSync('openssl', ['pkcs12', '-in', join(FIX, 'test.pfx'), '-nocerts', '-nodes', '-passin', `file:${join(FIX, 'password.txt')}`]).stdout
  const certPem = spawnSync('openssl', ['x509', '-inform', 'DER', '-in', join(FIX, 'signCert.der')]).stdout
  const pem = join(dir, 'pair.pem')
  writeFileSync(pem, Buffer.concat([keyPem, certPem]))
  const make = (name: string, extra: string[]): void => {
    const out = join(dir, `${seeds.length}.p12`)
    const r = spawnSync('openssl', ['pkcs12', '-export', '-in', pem, '-out', out, '-passout', `file:${join(FIX, 'password.txt')}`, ...extra])
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr.toString()}`)
    seeds.push({ name, bytes: new Uint8Array(readFileSync(out)) })
  }
  make('openssl legacy RC2-40, no MAC', ['-legacy', '-nomac', '-iter', '1', '-provider', 'legacy', '-provider', 'default'])
  make('openssl unencrypted, no MAC', ['-keypbe', 'NONE', '-certpbe', 'NONE', '-nomac'])
  seeds.push({ name: 'fixture test.pfx', bytes: new Uint8Array(readFileSync(join(FIX, 'test.pfx'))) })
}, 60_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('readPfx under mutation', () => {
  let total = 0
  const SEED_NAMES = ['ours compatible', 'ours modern', 'ours compatible, no MAC', 'ours modern, no MAC', 'openssl legacy RC2-40, no MAC', 'openssl unencrypted, no MAC', 'fixture test.pfx']

  for (const [index, name] of SEED_NAMES.entries()) {
    it(`${name}: ${PER_SEED} mutants fail only with CertError, each within 1 s`, async () => {
      const seed = seeds.find((s) => s.name === name)!
      // The unmutated seed must read, or the mutants would prove nothing.
      expect((await readPfx(seed.bytes, PASSWORD)).certDer.length).toBe(CERT.length)
      const rnd = mulberry32(SEED + index)
      const headers = headerOffsets(seed.bytes)
      expect(headers.length).toBeGreaterThan(20)
      const codes: Record<string, number> = {}
      const strange: string[] = []
      let slowest = 0
      for (let i = 0; i < PER_SEED; i++) {
        const m = mutate(seed.bytes, rnd, headers)
        const started = performance.now()
        try {
          const r = await readPfx(m, PASSWORD)
          codes.ok = (codes.ok ?? 0) + 1
          if (!(r.pkcs8 instanceof Uint8Array) || !(r.certDer instanceof Uint8Array)) strange.push(`#${i}: malformed result`)
        } catch (e) {
          if (e instanceof CertError) codes[e.code] = (codes[e.code] ?? 0) + 1
          else if (strange.length < 5) strange.push(`#${i}: ${(e as Error)?.name}: ${(e as Error)?.message}`)
        }
        slowest = Math.max(slowest, performance.now() - started)
      }
      total += PER_SEED
      expect(strange).toEqual([])
      expect(slowest).toBeLessThan(1000)
      expect(codes.DAMAGED ?? 0).toBeGreaterThan(PER_SEED / 10)
      if (!name.includes('unencrypted')) expect(codes.WRONG_PASSWORD ?? 0).toBeGreaterThan(0)
    }, 120_000)
  }

  it('covered at least 40,000 mutants', () => {
    expect(total).toBeGreaterThanOrEqual(40_000)
  })
})
