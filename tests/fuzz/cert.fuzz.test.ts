import { spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../../core/certs/parse'
import { headerOffsets, mulberry32, mutate } from './der-mutators'

/**
 * Mutation fuzzing of parseCertificate, which reads every certificate found on disk or in a
 * PFX: any bytes must give facts or a CertError, never another exception, and quickly.
 */

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures')
const SEED = Number(process.env.FUZZ_SEED ?? 20261126)
const PER_SEED = 10_000
const seeds: { name: string; der: Uint8Array }[] = []
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cert-fuzz-'))
  seeds.push({ name: 'yessign test certificate (VID, policies)', der: new Uint8Array(readFileSync(join(FIX, 'pypinksign/signCert.der'))) })
  seeds.push({ name: 'CMP fixture CA', der: new Uint8Array(new X509Certificate(readFileSync(join(FIX, 'cmp/ca.crt'))).raw) })
  // An EC certificate with the extensions parseCertificate looks into, made by OpenSSL.
  const cnf = join(dir, 'ext.cnf')
  writeFileSync(
    cnf,
    [
      '[req]',
      'distinguished_name=dn',
      '[dn]',
      '[ext]',
      'keyUsage=critical,digitalSignature,nonRepudiation',
      'certificatePolicies=1.2.410.200005.1.1.4',
      'subjectAltName=otherName:1.2.410.200004.10.1.1;UTF8:hong,DNS:example.test',
    ].join('\n'),
  )
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
    '-subj', '/C=KR/O=yessign/OU=personal4IB/CN=홍길동()0012345678901234', '-utf8', '-days', '2', '-config', cnf, '-extensions', 'ext',
  ])
  if (r.status !== 0) throw new Error(r.stderr.toString())
  seeds.push({ name: 'EC certificate with keyUsage, policies, SAN otherName', der: new Uint8Array(new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw) })
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('parseCertificate under mutation', () => {
  let total = 0
  for (const [index, name] of ['yessign test certificate (VID, policies)', 'CMP fixture CA', 'EC certificate with keyUsage, policies, SAN otherName'].entries()) {
    it(`${name}: ${PER_SEED} mutants give facts or CertError, each within 1 s`, () => {
      const seed = seeds.find((s) => s.name === name)!
      expect(parseCertificate(seed.der).caFolder.length).toBeGreaterThan(0)
      const rnd = mulberry32(SEED + 100 + index)
      const headers = headerOffsets(seed.der)
      expect(headers.length).toBeGreaterThan(20)
      const codes: Record<string, number> = {}
      const strange: string[] = []
      let slowest = 0
      for (let i = 0; i < PER_SEED; i++) {
        const m = mutate(seed.der, rnd, headers)
        const started = performance.now()
        try {
          const f = parseCertificate(m)
          codes.ok = (codes.ok ?? 0) + 1
          if (typeof f.caFolder !== 'string' || typeof f.npkiFolderName !== 'string' || f.npkiFolderName.includes('/')) strange.push(`#${i}: bad facts`)
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
    })
  }

  it('covered at least 30,000 mutants', () => {
    expect(total).toBeGreaterThanOrEqual(30_000)
  })
})
