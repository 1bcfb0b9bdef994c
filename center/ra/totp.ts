import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32. `pad: false` is what otpauth URIs carry. */
export function base32Encode(bytes: Uint8Array, pad = true): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= 0xff
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31]
  if (pad) while (out.length % 8 !== 0) out += '='
  return out
}

/** Accepts lower case, spaces and missing padding, as authenticator apps and people write it. */
export function base32Decode(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '')
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of clean) {
    const i = B32.indexOf(ch)
    if (i < 0) throw new Error('invalid base32')
    value = ((value << 5) | i) & 0xfff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Uint8Array.from(out)
}

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512'

export interface TotpParams {
  algorithm?: TotpAlgorithm
  digits?: number
  periodSeconds?: number
}

/** RFC 4226 HOTP with dynamic truncation. */
export function hotp(secret: Uint8Array, counter: bigint | number, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string {
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac(algorithm, secret).update(msg).digest()
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f
  const bin = (((mac[offset] ?? 0) & 0x7f) << 24) | ((mac[offset + 1] ?? 0) << 16) | ((mac[offset + 2] ?? 0) << 8) | (mac[offset + 3] ?? 0)
  return String(bin % 10 ** digits).padStart(digits, '0')
}

export function totpStep(unixSeconds: number, periodSeconds = 30): number {
  return Math.floor(unixSeconds / periodSeconds)
}

/** RFC 6238 TOTP at a given Unix time (seconds). */
export function totp(secret: Uint8Array, unixSeconds: number, params: TotpParams = {}): string {
  return hotp(secret, totpStep(unixSeconds, params.periodSeconds ?? 30), params.digits ?? 6, params.algorithm ?? 'sha1')
}

/**
 * Checks a code against the current step and one step either side (clock drift between the
 * phone and the server). Returns the matching step so the caller can refuse a replay of it
 * or of any earlier step; undefined when nothing matches.
 */
export function verifyTotp(secret: Uint8Array, code: string, unixSeconds: number, params: TotpParams & { window?: number } = {}): number | undefined {
  const digits = params.digits ?? 6
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return undefined
  const step = totpStep(unixSeconds, params.periodSeconds ?? 30)
  const window = params.window ?? 1
  let found: number | undefined
  // Compare every candidate, so the time taken does not tell which step matched.
  for (let d = -window; d <= window; d++) {
    if (step + d < 0) continue
    const expected = hotp(secret, step + d, digits, params.algorithm ?? 'sha1')
    if (timingSafeEqual(Buffer.from(expected), Buffer.from(code)) && found === undefined) found = step + d
  }
  return found
}

/** 160-bit secret, the size RFC 4226 recommends for HMAC-SHA1. */
export function newTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(20))
}

/** Key URI understood by Google Authenticator, Microsoft Authenticator, FreeOTP, 1Password, ... */
export function otpauthUri(secret: Uint8Array, issuer: string, accountLabel: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountLabel)}`
  const q = `secret=${base32Encode(secret, false)}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`
  return `otpauth://totp/${label}?${q}`
}
