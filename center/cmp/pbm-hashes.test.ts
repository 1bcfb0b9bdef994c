import { describe, expect, it } from 'vitest'
import { computePbm, newPbmParameter, noblePbmHashes, verifyPbm, type PbmMac, type PbmOwf } from '../../shared/cmp/pbm'
import { nodePbmHashes } from './pbm-hashes'

describe('nodePbmHashes', () => {
  const data = new TextEncoder().encode('ProtectedPart stand-in')
  const owfs: PbmOwf[] = ['sha1', 'sha256', 'sha512']
  const macs: PbmMac[] = ['hmac-sha1', 'hmacWithSHA1', 'hmacWithSHA256', 'hmacWithSHA512']
  for (const owf of owfs) {
    for (const mac of macs) {
      it(`gives the same PBM as the pure-JS default for ${owf} / ${mac}`, () => {
        const p = newPbmParameter({ owf, mac, iterations: 137 })
        const viaNode = computePbm(p, '1234-5678-abcd', data, undefined, nodePbmHashes)
        expect(Buffer.from(viaNode).equals(Buffer.from(computePbm(p, '1234-5678-abcd', data, undefined, noblePbmHashes)))).toBe(true)
        expect(verifyPbm(p, '1234-5678-abcd', data, viaNode, undefined, nodePbmHashes)).toBe(true)
        expect(verifyPbm(p, '1234-5678-abce', data, viaNode, undefined, nodePbmHashes)).toBe(false)
      })
    }
  }

  it('keeps the iteration bounds', () => {
    const p = newPbmParameter({ iterations: 100_001 })
    expect(() => computePbm(p, 's', data, undefined, nodePbmHashes)).toThrow(/iteration/)
  })
})
