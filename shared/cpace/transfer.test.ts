import { describe, expect, it } from 'vitest'
import {
  MAX_PAYLOAD_BYTES,
  decodeFrame,
  encodeFrame,
  formatCode,
  generateCode,
  manifestProblem,
  normalizeCode,
  openPayload,
  pcRespond,
  phoneFinish,
  phoneStart,
  sealPayload,
  type TransferFile,
} from './transfer'

const sid = new Uint8Array(16).fill(3)
const origin = 'http://192.168.0.10:41234'
const files: TransferFile[] = [
  { name: 'signCert.der', data: new Uint8Array([1, 2, 3]) },
  { name: 'signPri.key', data: new Uint8Array([4, 5]) },
]

describe('the one-time number', () => {
  it('is 12 digits, and values >= 10^12 are redrawn rather than reduced', () => {
    // 0xffffffffff (> 10^12) first, then 0x0000000001.
    const draws = [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), new Uint8Array([0, 0, 0, 0, 1])]
    let n = 0
    expect(generateCode(() => draws[n++]!)).toBe('000000000001')
    expect(n).toBe(2)
    // 10^12 - 1 = 0xe8d4a50fff is accepted; 10^12 = 0xe8d4a51000 is not.
    const edge = [new Uint8Array([0xe8, 0xd4, 0xa5, 0x10, 0x00]), new Uint8Array([0xe8, 0xd4, 0xa5, 0x0f, 0xff])]
    let m = 0
    expect(generateCode(() => edge[m++]!)).toBe('999999999999')
    expect(m).toBe(2)
    for (let i = 0; i < 100; i++) expect(generateCode()).toMatch(/^\d{12}$/)
  })
  it('is shown 4-4-4 and read back from what people type', () => {
    expect(formatCode('123456789012')).toBe('1234-5678-9012')
    expect(normalizeCode('1234-5678-9012')).toBe('123456789012')
    expect(normalizeCode(' 1234 5678 9012 ')).toBe('123456789012')
    expect(normalizeCode('１２３４５６７８９０１２')).toBe('123456789012')
    expect(normalizeCode('1234-5678-901')).toBeUndefined()
    expect(normalizeCode('1234-5678-901a')).toBeUndefined()
  })
})

describe('key agreement bound to direction and origin', () => {
  it('agrees with the same number, direction and origin', () => {
    const st = phoneStart('123456789012', 'phone-to-pc', origin, sid)
    const pc = pcRespond('123456789012', 'phone-to-pc', origin, sid, st.ya, st.ada)
    const keys = phoneFinish(st, pc.yb, pc.tb)
    expect(keys.peerOk).toBe(true)
    expect(keys.ta).toEqual(pc.expectedTa)
  })
  it.each([
    ['another number', '123456789013', 'phone-to-pc', origin],
    ['the other direction', '123456789012', 'pc-to-phone', origin],
    ['another listener origin', '123456789012', 'phone-to-pc', 'http://192.168.0.11:41234'],
  ] as const)('fails with %s', (_what, code, dir, org) => {
    const st = phoneStart('123456789012', 'phone-to-pc', origin, sid)
    const pc = pcRespond(code, dir, org, sid, st.ya, st.ada)
    const keys = phoneFinish(st, pc.yb, pc.tb)
    expect(keys.peerOk).toBe(false)
    expect(keys.ta).not.toEqual(pc.expectedTa)
  })
})

describe('the sealed payload', () => {
  const isk = new Uint8Array(64).fill(9)
  it('round-trips and is refused under another sid, direction or key', () => {
    const sealed = sealPayload(isk, sid, 'phone-to-pc', 'npki', files)
    expect(openPayload(isk, sid, 'phone-to-pc', sealed).files).toEqual(files)
    expect(() => openPayload(isk, new Uint8Array(16).fill(4), 'phone-to-pc', sealed)).toThrow(/integrity/)
    expect(() => openPayload(isk, sid, 'pc-to-phone', sealed)).toThrow(/integrity/)
    expect(() => openPayload(new Uint8Array(64).fill(8), sid, 'phone-to-pc', sealed)).toThrow(/integrity/)
  })
  it('refuses a changed manifest, ciphertext or nonce', () => {
    const sealed = sealPayload(isk, sid, 'phone-to-pc', 'npki', files)
    const swapped = JSON.stringify({ v: 1, format: 'npki', files: [{ name: 'signCert.der', size: 2 }, { name: 'signPri.key', size: 3 }] })
    expect(() => openPayload(isk, sid, 'phone-to-pc', { ...sealed, manifest: swapped })).toThrow(/integrity/)
    const ct = sealed.ct.slice()
    ct[0] = (ct[0] ?? 0) ^ 1
    expect(() => openPayload(isk, sid, 'phone-to-pc', { ...sealed, ct })).toThrow(/integrity/)
    const nonce = sealed.nonce.slice()
    nonce[23] = (nonce[23] ?? 0) ^ 1
    expect(() => openPayload(isk, sid, 'phone-to-pc', { ...sealed, nonce })).toThrow(/integrity/)
  })
  it('keeps file names to a fixed vocabulary and the size under the limit', () => {
    expect(manifestProblem({ v: 1, format: 'pfx', files: [{ name: '홍길동.pfx', size: 10 }] })).toMatch(/exactly one PFX/)
    expect(manifestProblem({ v: 1, format: 'npki', files: [{ name: 'signCert.der', size: 1 }] })).toMatch(/both required/)
    expect(manifestProblem({ v: 1, format: 'npki', files: [{ name: 'signCert.der', size: 1 }, { name: 'signPri.key', size: 1 }, { name: 'kmCert.der', size: 1 }] })).toMatch(/together/)
    expect(manifestProblem({ v: 1, format: 'npki', files: [{ name: '../x', size: 1 }, { name: 'signPri.key', size: 1 }] })).toMatch(/unexpected/)
    expect(manifestProblem({ v: 1, format: 'pfx', files: [{ name: 'certificate.pfx', size: MAX_PAYLOAD_BYTES + 1 }] })).toMatch(/too large/)
    expect(() => sealPayload(isk, sid, 'pc-to-phone', 'pfx', [{ name: 'certificate.pfx', data: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }])).toThrow(/too large/)
  })
  it('frames: header and body survive, malformed frames are refused', () => {
    const f = encodeFrame({ a: 1 }, new Uint8Array([7, 8]))
    const d = decodeFrame(f)
    expect(d.header).toEqual({ a: 1 })
    expect(d.body).toEqual(new Uint8Array([7, 8]))
    expect(() => decodeFrame(new Uint8Array([0, 0, 0xff, 0xff, 1]))).toThrow()
    expect(() => decodeFrame(new Uint8Array([0, 0, 0, 2, 0x5b, 0x5d]))).toThrow()
  })
})

describe('the number uses its whole range', () => {
  it('regression: the 40 random bits are not truncated to 32 (every leading digit occurs)', () => {
    const leading = new Set<string>()
    for (let i = 0; i < 400 && leading.size < 10; i++) leading.add(generateCode()[0]!)
    expect(leading.size).toBe(10)
  })
})
