/**
 * CPace, cipher suite CPACE-RISTR255-SHA512 (draft-irtf-cfrg-cpace), initiator-responder
 * setting. Platform neutral: the phone page runs it on a plain http:// origin where
 * crypto.subtle does not exist, so everything here is pure JS on @noble and needs only
 * crypto.getRandomValues.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { hmac } from '@noble/hashes/hmac.js'

const Point = ristretto255.Point
type Point = InstanceType<typeof Point>

export const DSI = new TextEncoder().encode('CPaceRistretto255')
const DSI_ISK = new TextEncoder().encode('CPaceRistretto255_ISK')
const MAC_LABEL = new TextEncoder().encode('CPaceMac')
/** SHA-512 input block size (H.s_in_bytes). */
const SHA512_BLOCK = 128
/** Encoding of the neutral element (G.I). */
export const IDENTITY = new Uint8Array(32)

export class CpaceError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CpaceError'
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** LEB128 length followed by the bytes. */
export function prependLen(data: Uint8Array): Uint8Array {
  const len: number[] = []
  let n = data.length
  for (;;) {
    len.push(n < 128 ? n : (n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
    if (n === 0) break
  }
  return concat(Uint8Array.from(len), data)
}

export function lvCat(...args: Uint8Array[]): Uint8Array {
  return concat(...args.map(prependLen))
}

export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  // The zero padding fills the first hash block after DSI and PRS (side-channel hardening).
  const zpad = Math.max(0, SHA512_BLOCK - 1 - prependLen(prs).length - prependLen(DSI).length)
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid)
}

export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Point {
  const derive = ristretto255_hasher.deriveToCurve
  if (!derive) throw new CpaceError('ristretto255 element derivation is unavailable')
  return derive(sha512(generatorString(prs, ci, sid)))
}

function scalarFromLe(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0)
  return n
}

export function scalarToLe(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = n
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  crypto.getRandomValues(out)
  return out
}

/**
 * G.sample_scalar as the draft recommends for ristretto255: 32 random bytes with the bits
 * above bit 252 cleared, read little-endian. Such a value is always below the group order;
 * zero (probability 2^-252) is redrawn because it would make the share the identity.
 */
export function sampleScalar(random: (n: number) => Uint8Array = randomBytes): bigint {
  for (;;) {
    const b = random(32)
    b[31] = (b[31] ?? 0) & 0x0f
    const y = scalarFromLe(b)
    if (y !== 0n) return y
  }
}

/** G.scalar_mult: y·g, publicly encoded. */
export function scalarMult(y: bigint, g: Point): Uint8Array {
  return g.multiply(y).toBytes()
}

/** G.scalar_mult_vfy: decode X (G.I when it does not decode), then y·X encoded. */
export function scalarMultVfy(y: bigint, x: Uint8Array): Uint8Array {
  let p: Point
  try {
    p = Point.fromBytes(x)
  } catch {
    return IDENTITY.slice()
  }
  if (p.is0()) return IDENTITY.slice()
  return p.multiply(y).toBytes()
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return d === 0
}

export function transcriptIr(ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  return concat(lvCat(ya, ada), lvCat(yb, adb))
}

export function computeIsk(sid: Uint8Array, k: Uint8Array, ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  return sha512(concat(lvCat(DSI_ISK, sid, k), transcriptIr(ya, ada, yb, adb)))
}

export interface CpaceInputs {
  /** Password-related string: here the ASCII digits of the one-time number. */
  prs: Uint8Array
  /** Channel identifier, never sent. */
  ci: Uint8Array
  sid: Uint8Array
}

/** The initiator's (A's) state between sending Ya and receiving Yb. */
export interface InitiatorState {
  sid: Uint8Array
  y: bigint
  ya: Uint8Array
  ada: Uint8Array
}

export function initiatorStart(inputs: CpaceInputs, ada: Uint8Array, y: bigint = sampleScalar()): InitiatorState {
  const g = calculateGenerator(inputs.prs, inputs.ci, inputs.sid)
  return { sid: inputs.sid, y, ya: scalarMult(y, g), ada }
}

/** A's second step: K = ya·Yb; aborts on the identity. Returns ISK. */
export function initiatorFinish(st: InitiatorState, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  const k = scalarMultVfy(st.y, yb)
  if (equalBytes(k, IDENTITY)) throw new CpaceError('invalid CPace share from the responder')
  return computeIsk(st.sid, k, st.ya, st.ada, yb, adb)
}

/** B's only step: Yb = yb·g, K = yb·Ya (aborts on the identity), ISK. */
export function responderRespond(inputs: CpaceInputs, ya: Uint8Array, ada: Uint8Array, adb: Uint8Array, y: bigint = sampleScalar()): { yb: Uint8Array; isk: Uint8Array } {
  const g = calculateGenerator(inputs.prs, inputs.ci, inputs.sid)
  const yb = scalarMult(y, g)
  const k = scalarMultVfy(y, ya)
  if (equalBytes(k, IDENTITY)) throw new CpaceError('invalid CPace share from the initiator')
  return { yb, isk: computeIsk(inputs.sid, k, ya, ada, yb, adb) }
}

/**
 * Explicit key confirmation as the draft suggests (§ key confirmation):
 * mac_key = H(b"CPaceMac" ‖ sid ‖ ISK); each party tags the message it sent.
 */
export function confirmationTags(isk: Uint8Array, sid: Uint8Array, ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): { ta: Uint8Array; tb: Uint8Array } {
  const macKey = sha512(concat(MAC_LABEL, sid, isk))
  return { ta: hmac(sha512, macKey, lvCat(ya, ada)), tb: hmac(sha512, macKey, lvCat(yb, adb)) }
}

export { scalarFromLe }
