import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import {
  IDENTITY,
  calculateGenerator,
  computeIsk,
  confirmationTags,
  generatorString,
  initiatorFinish,
  initiatorStart,
  lvCat,
  prependLen,
  responderRespond,
  sampleScalar,
  scalarFromLe,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
} from './cpace'

// Test vectors from draft-irtf-cfrg-cpace (github.com/cfrg/draft-irtf-cfrg-cpace,
// "Test vector for CPace using group ristretto255 and hash SHA-512").
const te = new TextEncoder()
const h = (s: string) => hexToBytes(s.replace(/\s+/g, ''))
const TV = {
  prs: te.encode('Password'),
  ci: h('0b415f696e69746961746f720b425f726573706f6e646572'),
  sid: h('7e4b4791d6a8ef019b936c79fb7f2c57'),
  genStr: h(`11435061636552697374726574746f3235350850617373776f726464
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000180b415f696e69746961746f
    720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
    2c57`),
  genHash: h(`da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288
    b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772
    05f90851a657ee27`),
  g: h('222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56'),
  ada: te.encode('ADa'),
  ya: h('da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08'),
  Ya: h('d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157'),
  adb: te.encode('ADb'),
  yb: h('d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d'),
  Yb: h('3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258'),
  K: h('80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f'),
  transcriptIr: h(`20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e
    ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa
    8232b5ebe63324e2d9e7433f725803414462`),
  iskIr: h(`b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
    ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
    3fa2068af7900447`),
}

describe('CPace string utilities (draft appendix vectors)', () => {
  it('prepend_len', () => {
    expect(bytesToHex(prependLen(new Uint8Array(0)))).toBe('00')
    expect(bytesToHex(prependLen(te.encode('1234')))).toBe('0431323334')
    const r127 = Uint8Array.from({ length: 127 }, (_, i) => i)
    expect(bytesToHex(prependLen(r127)).slice(0, 4)).toBe('7f00')
    expect(prependLen(r127).length).toBe(128)
    const r128 = Uint8Array.from({ length: 128 }, (_, i) => i)
    expect(bytesToHex(prependLen(r128)).slice(0, 6)).toBe('800100')
    expect(prependLen(r128).length).toBe(130)
  })
  it('lv_cat', () => {
    expect(bytesToHex(lvCat(te.encode('1234'), te.encode('5'), new Uint8Array(0), te.encode('678')))).toBe('043132333401350003363738')
  })
  it('transcript_ir', () => {
    expect(bytesToHex(transcriptIr(te.encode('123'), te.encode('PartyA'), te.encode('234'), te.encode('PartyB')))).toBe('03313233065061727479410332333406506172747942')
  })
})

describe('CPACE-RISTR255-SHA512 test vectors', () => {
  it('generator string, its hash and the encoded generator', () => {
    expect(bytesToHex(generatorString(TV.prs, TV.ci, TV.sid))).toBe(bytesToHex(TV.genStr))
    expect(bytesToHex(sha512(TV.genStr))).toBe(bytesToHex(TV.genHash))
    expect(bytesToHex(calculateGenerator(TV.prs, TV.ci, TV.sid).toBytes())).toBe(bytesToHex(TV.g))
  })
  it('messages Ya and Yb', () => {
    const g = calculateGenerator(TV.prs, TV.ci, TV.sid)
    expect(bytesToHex(scalarMult(scalarFromLe(TV.ya), g))).toBe(bytesToHex(TV.Ya))
    expect(bytesToHex(scalarMult(scalarFromLe(TV.yb), g))).toBe(bytesToHex(TV.Yb))
  })
  it('secret point K from both sides', () => {
    expect(bytesToHex(scalarMultVfy(scalarFromLe(TV.ya), TV.Yb))).toBe(bytesToHex(TV.K))
    expect(bytesToHex(scalarMultVfy(scalarFromLe(TV.yb), TV.Ya))).toBe(bytesToHex(TV.K))
  })
  it('ISK, initiator-responder', () => {
    expect(bytesToHex(transcriptIr(TV.Ya, TV.ada, TV.Yb, TV.adb))).toBe(bytesToHex(TV.transcriptIr))
    expect(bytesToHex(computeIsk(TV.sid, TV.K, TV.Ya, TV.ada, TV.Yb, TV.adb))).toBe(bytesToHex(TV.iskIr))
  })
  it('the protocol functions reproduce the vector end to end', () => {
    const inputs = { prs: TV.prs, ci: TV.ci, sid: TV.sid }
    const a = initiatorStart(inputs, TV.ada, scalarFromLe(TV.ya))
    expect(bytesToHex(a.ya)).toBe(bytesToHex(TV.Ya))
    const b = responderRespond(inputs, a.ya, TV.ada, TV.adb, scalarFromLe(TV.yb))
    expect(bytesToHex(b.yb)).toBe(bytesToHex(TV.Yb))
    expect(bytesToHex(b.isk)).toBe(bytesToHex(TV.iskIr))
    expect(bytesToHex(initiatorFinish(a, b.yb, TV.adb))).toBe(bytesToHex(TV.iskIr))
  })
  it('scalar_mult_vfy: valid input and the draft invalid inputs', () => {
    const s = scalarFromLe(h('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05'))
    expect(bytesToHex(scalarMultVfy(s, h('2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c')))).toBe(
      '7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e',
    )
    expect(scalarMultVfy(s, h('2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c'))).toEqual(IDENTITY)
    expect(scalarMultVfy(s, IDENTITY)).toEqual(IDENTITY)
  })
})

describe('CPace protocol properties', () => {
  const inputs = (prs: string) => ({ prs: te.encode(prs), ci: te.encode('ci'), sid: new Uint8Array(16).fill(7) })
  it('same PRS gives the same ISK; a different PRS does not', () => {
    const a = initiatorStart(inputs('123456789012'), te.encode('A'))
    const b = responderRespond(inputs('123456789012'), a.ya, te.encode('A'), te.encode('B'))
    expect(initiatorFinish(a, b.yb, te.encode('B'))).toEqual(b.isk)
    const a2 = initiatorStart(inputs('123456789012'), te.encode('A'))
    const wrong = responderRespond(inputs('123456789013'), a2.ya, te.encode('A'), te.encode('B'))
    expect(initiatorFinish(a2, wrong.yb, te.encode('B'))).not.toEqual(wrong.isk)
  })
  it('aborts on the identity and on undecodable shares', () => {
    const a = initiatorStart(inputs('1'), te.encode('A'))
    expect(() => initiatorFinish(a, IDENTITY, te.encode('B'))).toThrow(/invalid/)
    expect(() => initiatorFinish(a, new Uint8Array(32).fill(0xff), te.encode('B'))).toThrow(/invalid/)
    expect(() => responderRespond(inputs('1'), IDENTITY, te.encode('A'), te.encode('B'))).toThrow(/invalid/)
  })
  it('confirmation tags differ per direction and depend on ISK', () => {
    const a = initiatorStart(inputs('1'), te.encode('A'))
    const b = responderRespond(inputs('1'), a.ya, te.encode('A'), te.encode('B'))
    const t1 = confirmationTags(b.isk, new Uint8Array(16).fill(7), a.ya, te.encode('A'), b.yb, te.encode('B'))
    expect(t1.ta).not.toEqual(t1.tb)
    expect(t1.ta.length).toBe(64)
    const other = b.isk.slice()
    other[0] = (other[0] ?? 0) ^ 1
    const t2 = confirmationTags(other, new Uint8Array(16).fill(7), a.ya, te.encode('A'), b.yb, te.encode('B'))
    expect(t2.ta).not.toEqual(t1.ta)
  })
  it('sampled scalars are below 2^252 and non-zero', () => {
    for (let i = 0; i < 50; i++) {
      const y = sampleScalar()
      expect(y > 0n && y < 1n << 252n).toBe(true)
    }
    let calls = 0
    const y = sampleScalar((n) => (calls++ === 0 ? new Uint8Array(n) : new Uint8Array(n).fill(0xff)))
    expect(calls).toBe(2)
    expect(y).toBe((1n << 252n) - 1n)
  })
})
