/**
 * The "certxfer/v1" protocol pieces both ends share: the one-time number, the CPace inputs,
 * key confirmation, the payload key and the single AEAD message. The phone page and the
 * listener import exactly this file, so the two sides cannot drift apart.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concat, confirmationTags, equalBytes, initiatorFinish, initiatorStart, lvCat, randomBytes, responderRespond, type InitiatorState } from './cpace'

export const PROTOCOL = 'certxfer/v1'
/** Largest plaintext one transfer may carry (all files together). */
export const MAX_PAYLOAD_BYTES = 256 * 1024
export const CODE_DIGITS = 12
export const SID_BYTES = 16

/** Which way the certificate travels. The receiving device always shows the number. */
export type Direction = 'pc-to-phone' | 'phone-to-pc'
export type TransferFormat = 'pfx' | 'npki'

const te = new TextEncoder()
const td = new TextDecoder('utf-8', { fatal: true })

/** Associated data of each role, sent in the clear and authenticated by CPace. */
export const AD_PHONE = te.encode(`${PROTOCOL} phone`)
export const AD_PC = te.encode(`${PROTOCOL} pc`)

// ---------------------------------------------------------------- the one-time number

/**
 * A uniformly random 12-digit number: 40 random bits, redrawn when >= 10^12 (rejection
 * sampling, no modulo bias). Uses only crypto.getRandomValues so it runs on http:// pages.
 */
export function generateCode(random: (n: number) => Uint8Array = randomBytes): string {
  const limit = 10 ** CODE_DIGITS
  for (;;) {
    const b = random(5)
    const low = (((b[1] ?? 0) << 24) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 8) | (b[4] ?? 0)) >>> 0
    const v = (b[0] ?? 0) * 2 ** 32 + low
    if (v < limit) return String(v).padStart(CODE_DIGITS, '0')
  }
}

/** "123456789012" → "1234-5678-9012" */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}`
}

/** Accepts what people type (spaces, dashes, full-width digits); undefined unless 12 digits remain. */
export function normalizeCode(input: string): string | undefined {
  const digits = input.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 0x30)).replace(/[\s\-–—.]/g, '')
  return new RegExp(`^[0-9]{${CODE_DIGITS}}$`).test(digits) ? digits : undefined
}

// ---------------------------------------------------------------- CPace inputs

/**
 * CI binds the roles (initiator = phone, responder = PC), the direction and the listener's
 * origin as the phone sees it, so a share relayed to another listener or role never agrees.
 */
export function channelId(direction: Direction, origin: string): Uint8Array {
  return lvCat(te.encode(PROTOCOL), te.encode('initiator=phone'), te.encode('responder=pc'), te.encode(direction), te.encode(normalizeOrigin(origin)))
}

export function normalizeOrigin(origin: string): string {
  return new URL(origin).origin
}

function prsOf(code: string): Uint8Array {
  const c = normalizeCode(code)
  if (!c) throw new Error('the number must have 12 digits')
  return te.encode(c)
}

/** Phone side, step 1. */
export function phoneStart(code: string, direction: Direction, origin: string, sid: Uint8Array): InitiatorState {
  return initiatorStart({ prs: prsOf(code), ci: channelId(direction, origin), sid }, AD_PHONE)
}

export interface PhoneKeys {
  isk: Uint8Array
  /** The tag the phone sends. */
  ta: Uint8Array
  /** Whether the PC's tag matched: false means the number differs on the two sides. */
  peerOk: boolean
}

/** Phone side, step 2: ISK, its own tag, and whether the PC proved the same number. */
export function phoneFinish(st: InitiatorState, yb: Uint8Array, tb: Uint8Array): PhoneKeys {
  const isk = initiatorFinish(st, yb, AD_PC)
  const tags = confirmationTags(isk, st.sid, st.ya, st.ada, yb, AD_PC)
  return { isk, ta: tags.ta, peerOk: equalBytes(tags.tb, tb) }
}

export interface PcResponse {
  yb: Uint8Array
  tb: Uint8Array
  isk: Uint8Array
  /** The tag the phone must send back when it used the same number. */
  expectedTa: Uint8Array
}

/** PC side: answers the phone's share and prepares both tags. Throws on an invalid share. */
export function pcRespond(code: string, direction: Direction, origin: string, sid: Uint8Array, ya: Uint8Array, ada: Uint8Array): PcResponse {
  if (!equalBytes(ada, AD_PHONE)) throw new Error('unexpected associated data')
  const { yb, isk } = responderRespond({ prs: prsOf(code), ci: channelId(direction, origin), sid }, ya, ada, AD_PC)
  const tags = confirmationTags(isk, sid, ya, ada, yb, AD_PC)
  return { yb, tb: tags.tb, isk, expectedTa: tags.ta }
}

// ---------------------------------------------------------------- the payload

export interface ManifestFile {
  name: string
  size: number
}

/**
 * What the sealed message holds. Names come from a fixed vocabulary so a sniffer learns only
 * the format and the sizes, never a person's name from a file name.
 */
export interface Manifest {
  v: 1
  format: TransferFormat
  files: ManifestFile[]
}

export const PFX_NAME = 'certificate.pfx'
export const NPKI_NAMES = ['signCert.der', 'signPri.key', 'kmCert.der', 'kmPri.key'] as const
/**
 * An NPKI folder sent as one zip (what a phone has): the PC unpacks it after decryption
 * (core/transfer/npki-zip.ts) and from then on treats it as the NPKI files it contains.
 */
export const NPKI_ZIP_NAME = 'NPKI.zip'

/** Checks a manifest's shape and vocabulary; returns an English reason or undefined. */
export function manifestProblem(m: Manifest): string | undefined {
  if (m.v !== 1) return 'unknown manifest version'
  const names = m.files.map((f) => f.name)
  if (new Set(names).size !== names.length) return 'duplicate file names'
  let total = 0
  for (const f of m.files) {
    if (!Number.isSafeInteger(f.size) || f.size < 1) return 'bad file size'
    total += f.size
  }
  if (total > MAX_PAYLOAD_BYTES) return 'the files are too large'
  if (m.format === 'pfx') {
    if (names.length !== 1 || names[0] !== PFX_NAME) return 'a PFX transfer carries exactly one PFX file'
    return undefined
  }
  if (m.format === 'npki') {
    if (names.length === 1 && names[0] === NPKI_ZIP_NAME) return undefined
    if (!names.every((n) => (NPKI_NAMES as readonly string[]).includes(n))) return 'unexpected file in an NPKI transfer'
    if (!names.includes('signCert.der') || !names.includes('signPri.key')) return 'signCert.der and signPri.key are both required'
    if (names.includes('kmCert.der') !== names.includes('kmPri.key')) return 'kmCert.der and kmPri.key travel together'
    return undefined
  }
  return 'unknown format'
}

export function payloadKey(isk: Uint8Array, sid: Uint8Array, direction: Direction): Uint8Array {
  return hkdf(sha512, isk, sid, te.encode(`${PROTOCOL} payload ${direction}`), 32)
}

function aad(sid: Uint8Array, direction: Direction, manifestText: string): Uint8Array {
  return concat(sid, te.encode(direction), sha512(te.encode(manifestText)))
}

export interface SealedPayload {
  /** The manifest exactly as hashed into the AAD (JSON text). */
  manifest: string
  nonce: Uint8Array
  ct: Uint8Array
}

export interface TransferFile {
  name: string
  data: Uint8Array
}

/** One XChaCha20-Poly1305 message; AAD = sid ‖ direction ‖ SHA-512(manifest). */
export function sealPayload(isk: Uint8Array, sid: Uint8Array, direction: Direction, format: TransferFormat, files: TransferFile[], nonce: Uint8Array = randomBytes(24)): SealedPayload {
  const m: Manifest = { v: 1, format, files: files.map((f) => ({ name: f.name, size: f.data.length })) }
  const problem = manifestProblem(m)
  if (problem) throw new Error(problem)
  const manifest = JSON.stringify(m)
  const ct = xchacha20poly1305(payloadKey(isk, sid, direction), nonce, aad(sid, direction, manifest)).encrypt(concat(...files.map((f) => f.data)))
  return { manifest, nonce, ct }
}

/** Opens the message or throws (tampered, wrong key, wrong session, malformed manifest). */
export function openPayload(isk: Uint8Array, sid: Uint8Array, direction: Direction, sealed: SealedPayload): { format: TransferFormat; files: TransferFile[] } {
  let m: Manifest
  try {
    m = JSON.parse(sealed.manifest) as Manifest
  } catch {
    throw new Error('malformed manifest')
  }
  if (!m || typeof m !== 'object' || !Array.isArray(m.files)) throw new Error('malformed manifest')
  const problem = manifestProblem(m)
  if (problem) throw new Error(problem)
  if (sealed.nonce.length !== 24) throw new Error('bad nonce')
  if (sealed.ct.length > MAX_PAYLOAD_BYTES + 16) throw new Error('the files are too large')
  let plain: Uint8Array
  try {
    plain = xchacha20poly1305(payloadKey(isk, sid, direction), sealed.nonce, aad(sid, direction, sealed.manifest)).decrypt(sealed.ct)
  } catch {
    throw new Error('the payload failed its integrity check')
  }
  const total = m.files.reduce((n, f) => n + f.size, 0)
  if (total !== plain.length) throw new Error('the payload does not match its manifest')
  const files: TransferFile[] = []
  let o = 0
  for (const f of m.files) {
    files.push({ name: f.name, data: plain.slice(o, o + f.size) })
    o += f.size
  }
  return { format: m.format, files }
}

// ---------------------------------------------------------------- wire helpers

/** A binary frame: u32 big-endian header length ‖ JSON header ‖ body. */
export function encodeFrame(header: Record<string, unknown>, body: Uint8Array): Uint8Array {
  const h = te.encode(JSON.stringify(header))
  const len = new Uint8Array(4)
  new DataView(len.buffer).setUint32(0, h.length)
  return concat(len, h, body)
}

export function decodeFrame(bytes: Uint8Array, maxHeader = 8192): { header: Record<string, unknown>; body: Uint8Array } {
  if (bytes.length < 4) throw new Error('short frame')
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)
  if (n > maxHeader || 4 + n > bytes.length) throw new Error('bad frame header')
  let header: unknown
  try {
    header = JSON.parse(td.decode(bytes.subarray(4, 4 + n)))
  } catch {
    throw new Error('bad frame header')
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('bad frame header')
  return { header: header as Record<string, unknown>, body: bytes.subarray(4 + n) }
}

export function toB64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export function fromB64(s: unknown, expectLen?: number): Uint8Array {
  if (typeof s !== 'string' || s.length > 4096 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error('bad base64')
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  if (expectLen !== undefined && out.length !== expectLen) throw new Error('bad length')
  return out
}

/**
 * One throw-away exchange with random inputs. A JavaScript engine runs the BigInt curve code
 * many times slower until it has compiled it, so the phone page calls this at load, while the
 * user reads or types the number, and the real exchange then runs at full speed.
 */
export function warmUp(): void {
  const sid = randomBytes(SID_BYTES)
  const code = generateCode()
  const origin = 'http://warm.invalid:1'
  const st = phoneStart(code, 'phone-to-pc', origin, sid)
  const pc = pcRespond(code, 'phone-to-pc', origin, sid, st.ya, st.ada)
  phoneFinish(st, pc.yb, pc.tb)
}
