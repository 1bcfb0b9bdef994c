import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { iterateSha1, iterateSha256 } from './iterate-hash'

const nodeIterate = (alg: 'sha1' | 'sha256', d: Uint8Array, rounds: number): Buffer => {
  let k = Buffer.from(d)
  for (let i = 0; i < rounds; i++) k = createHash(alg).update(k).digest()
  return k
}

describe.each([
  ['sha256', iterateSha256, 32],
  ['sha1', iterateSha1, 20],
] as const)('iterate %s', (alg, iterate, size) => {
  it('matches node:crypto for random values and round counts', () => {
    for (let t = 0; t < 200; t++) {
      const d = new Uint8Array(randomBytes(size))
      const rounds = t < 5 ? t : 1 + ((t * 37) % 700)
      expect(Buffer.from(iterate(d, rounds)).toString('hex')).toBe(nodeIterate(alg, d, rounds).toString('hex'))
    }
  })

  it('matches openssl for a known value', () => {
    const d = new Uint8Array(size).fill(0xab)
    const once = execFileSync('openssl', ['dgst', `-${alg}`, '-binary'], { input: Buffer.from(d) })
    const twice = execFileSync('openssl', ['dgst', `-${alg}`, '-binary'], { input: once })
    expect(Buffer.from(iterate(d, 2)).equals(twice)).toBe(true)
  })

  it('leaves its input alone', () => {
    const d = new Uint8Array(randomBytes(size))
    const copy = d.slice()
    iterate(d, 3)
    expect(Buffer.from(d).equals(Buffer.from(copy))).toBe(true)
  })
})
