import { execFileSync } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acceptableKey, spkiKey } from './sig'

const dir = mkdtempSync(join(tmpdir(), 'sig-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A public key as openssl writes it (SubjectPublicKeyInfo, DER). */
function opensslSpki(name: string, genArgs: string[]): Uint8Array {
  const key = join(dir, `${name}.pem`)
  const pub = join(dir, `${name}.der`)
  execFileSync('/usr/bin/openssl', ['genpkey', ...genArgs, '-out', key], { stdio: 'ignore' })
  execFileSync('/usr/bin/openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER', '-out', pub])
  return new Uint8Array(readFileSync(pub))
}

const viaDer = (der: Uint8Array) => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })

describe('spkiKey', () => {
  const keys: [string, Uint8Array][] = [
    ['RSA-2048', opensslSpki('rsa2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'])],
    ['RSA-1024', opensslSpki('rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'])],
    ['RSA-2048 e=3', opensslSpki('rsa3', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:3'])],
    ['P-256', opensslSpki('p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])],
    ['P-384', opensslSpki('p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'])],
    ['P-521', opensslSpki('p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'])],
    ['Ed25519', opensslSpki('ed25519', ['-algorithm', 'ED25519'])],
  ]

  it.each(keys)('reads an openssl %s key exactly as the DER decoder does', (_name, der) => {
    const ours = spkiKey(der)
    const ref = viaDer(der)
    expect(Buffer.from(ours.export({ type: 'spki', format: 'der' })).equals(Buffer.from(ref.export({ type: 'spki', format: 'der' })))).toBe(true)
    expect(ours.asymmetricKeyType).toBe(ref.asymmetricKeyType)
    expect(acceptableKey(ours)).toBe(acceptableKey(ref))
  })

  it('agrees with the DER decoder on damaged keys: same key or both refuse; a point off the curve is refused', () => {
    const outcome = (f: () => ReturnType<typeof spkiKey>): string => {
      try {
        return Buffer.from(f().export({ type: 'spki', format: 'der' })).toString('hex')
      } catch {
        return 'refused'
      }
    }
    let seed = 7
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    for (const [name, der] of keys) {
      const variants: Uint8Array[] = [der.subarray(0, der.length - 1), new Uint8Array([...der, 0]), der.subarray(0, 20)]
      for (let i = 0; i < 60; i++) {
        const m = new Uint8Array(der)
        const at = rand(m.length)
        m[at] = m[at]! ^ (1 << rand(8))
        variants.push(m)
      }
      for (const v of variants) expect(outcome(() => spkiKey(v)), name).toBe(outcome(() => viaDer(v)))
    }
    const p256 = keys.find(([n]) => n === 'P-256')![1]
    const offCurve = new Uint8Array(p256)
    offCurve[offCurve.length - 1] = offCurve[offCurve.length - 1]! ^ 1 // y changed: no longer on P-256
    expect(() => spkiKey(offCurve)).toThrow()
  })
})
