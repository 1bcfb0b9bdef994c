import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { iterateSha256 } from './sha256-iterate'

const nodeIterate = (d: Uint8Array, rounds: number): Buffer => {
  let k = Buffer.from(d)
  for (let i = 0; i < rounds; i++) k = createHash('sha256').update(k).digest()
  return k
}

describe('iterateSha256', () => {
  it('matches node:crypto for random values and round counts', () => {
    for (let t = 0; t < 200; t++) {
      const d = new Uint8Array(randomBytes(32))
      const rounds = t < 5 ? t : 1 + (t * 37) % 700
      expect(Buffer.from(iterateSha256(d, rounds)).toString('hex')).toBe(nodeIterate(d, rounds).toString('hex'))
    }
  })

  it('matches openssl for a known value', () => {
    const d = new Uint8Array(32).fill(0xab)
    const once = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: Buffer.from(d) })
    const twice = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: once })
    expect(Buffer.from(iterateSha256(d, 2)).equals(twice)).toBe(true)
  })

  it('leaves its input alone and refuses other lengths', () => {
    const d = new Uint8Array(randomBytes(32))
    const copy = d.slice()
    iterateSha256(d, 3)
    expect(Buffer.from(d).equals(Buffer.from(copy))).toBe(true)
    expect(() => iterateSha256(new Uint8Array(31), 1)).toThrow(RangeError)
  })
})
