import { createHash, createPrivateKey, createPublicKey, randomBytes, X509Certificate } from 'node:crypto'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { posix, win32 } from 'node:path'
import type pkcs11js from 'pkcs11js'
import { lazyRequire } from '../lazy-require'
import { CertError } from '../../shared/errors'
import type { ReasonOf } from '../../shared/reasons'
import { children, element, expectTag, readTlv, type Tlv } from '../../shared/der/reader'
import { parseCertificate } from '../certs/parse'
import { PinGuard } from './pins'

type P11 = InstanceType<typeof pkcs11js.PKCS11>
type Handle = Buffer
type Template = { type: number; value?: number | boolean | string | Buffer }[]

/**
 * Where PKCS#11 modules usually live; those that exist in a trusted place (below) are offered.
 * Every entry sits in a folder only an administrator can write: a module runs inside the app
 * with the user's keys, so a default path another user could create (the SoftHSM2 installer's
 * `C:\SoftHSM2`, Homebrew's `/usr/local` and `/opt/homebrew` on macOS) is not a default. Such
 * a module is used only once the user picks it (settings, `--module`).
 */
export const DEFAULT_MODULES: Readonly<Record<string, readonly string[]>> = {
  linux: [
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
    '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
    '/usr/lib/opensc-pkcs11.so',
    '/usr/lib64/opensc-pkcs11.so',
    '/usr/lib64/pkcs11/opensc-pkcs11.so',
    '/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so',
  ],
  win32: [
    'C:\\Windows\\System32\\opensc-pkcs11.dll',
    'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll',
    'C:\\Program Files\\SoftHSM2\\lib\\softhsm2-x64.dll',
    'C:\\Windows\\System32\\eTPKCS11.dll',
    'C:\\Windows\\System32\\acpkcs211.dll',
  ],
  darwin: ['/Library/OpenSC/lib/opensc-pkcs11.so'],
}

/**
 * Folders whose contents only an administrator can change. On Windows these follow the
 * system's own variables (a different system drive), falling back to the usual paths.
 */
export function trustedModuleDirs(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'win32') {
    const root = env.SystemRoot ?? env.windir ?? 'C:\\Windows'
    return [env.ProgramFiles ?? 'C:\\Program Files', env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)', win32.join(root, 'System32'), win32.join(root, 'SysWOW64')]
  }
  if (platform === 'darwin') return ['/Library', '/usr/lib', '/System/Library']
  return ['/usr/lib', '/usr/lib64', '/lib', '/lib64']
}

function inside(dir: string, file: string, platform: NodeJS.Platform): boolean {
  const p = platform === 'win32' ? win32 : posix
  const rel = p.relative(dir, file)
  const fold = platform === 'win32' ? rel.toLowerCase() : rel
  return rel !== '' && !fold.startsWith('..') && !p.isAbsolute(rel)
}

/**
 * Whether a default module may be loaded: it and the real file it resolves to (a link in
 * /usr/lib may point anywhere) lie in a trusted folder, and on POSIX neither the file nor any
 * folder above it may be changed by anyone but root (owner root, no group or other write bit),
 * the test sudo applies to what it runs.
 */
export function isTrustedModulePath(path: string, platform: NodeJS.Platform = process.platform, dirs: string[] = trustedModuleDirs(platform)): boolean {
  const p = platform === 'win32' ? win32 : posix
  if (!p.isAbsolute(path)) return false
  const under = (f: string): boolean => dirs.some((d) => inside(d, p.normalize(f), platform))
  if (!under(path)) return false
  if (platform === 'win32' || platform !== process.platform) return true
  let real: string
  try {
    real = realpathSync(path)
  } catch {
    return false
  }
  if (!under(real)) return false
  for (let at = real; ; at = posix.dirname(at)) {
    let st
    try {
      st = statSync(at)
    } catch {
      return false
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false
    if (at === '/') return true
  }
}

/**
 * The modules to offer: the ones the user chose first (settings, `--module`: choosing a module
 * is trusting it), then the OS defaults that exist in a trusted place. Never a module merely
 * because a file exists somewhere. Two paths to one file (Debian links
 * /usr/lib/softhsm/libsofthsm2.so into the multiarch folder) count once, or every token behind
 * that module would be listed twice.
 */
export function availableModules(
  chosen: string[] = [],
  platform: NodeJS.Platform = process.platform,
  exists: (p: string) => boolean = existsSync,
  trusted: (p: string) => boolean = (m) => isTrustedModulePath(m, platform),
): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  const real = (p: string): string => {
    try {
      return realpathSync(p)
    } catch {
      return p
    }
  }
  const candidates = [...chosen.map((m) => ({ m, ok: true })), ...(DEFAULT_MODULES[platform] ?? []).map((m) => ({ m, ok: false }))]
  for (const { m, ok } of candidates) {
    if (seen.has(m) || !exists(m)) continue
    if (!ok && !trusted(m)) continue
    seen.add(m)
    const r = real(m)
    if (r !== m && seen.has(r)) continue
    seen.add(r)
    out.push(m)
  }
  return out
}

/** One slot with a token in it. */
export interface TokenInfo {
  module: string
  /** The slot id as hex of the native CK_SLOT_ID bytes; pass it back to pick the slot. */
  slot: string
  label: string
  serial: string
  manufacturer: string
  model: string
  pinLocked: boolean
  pinFinalTry: boolean
  pinCountLow: boolean
  pinToBeChanged: boolean
}

/** Which token to open: by slot id, or by label, or the only token there is. */
export interface TokenRef {
  module: string
  slot?: string
  label?: string
}

/** A certificate on a token, with whether its private key (same CKA_ID) sits beside it. */
export interface TokenCert {
  idHex: string
  label: string
  serialHex: string
  owner: string
  subjectDn: string
  issuerName: string
  notAfter: string
  hasPrivateKey: boolean
}

/** pkcs11js, loaded on the first token call (constants included), not when this file is imported. */
const loadPkcs11 = lazyRequire<typeof pkcs11js>('pkcs11js')
const C: typeof pkcs11js = new Proxy({} as typeof pkcs11js, { get: (_t, key) => Reflect.get(loadPkcs11(), key) })

let reasons: Record<number, { reason: ReasonOf<'TOKEN'>; message: string }> | undefined
const reasonsTable = (): Record<number, { reason: ReasonOf<'TOKEN'>; message: string }> => (reasons ??= {
  [C.CKR_PIN_INCORRECT]: { reason: 'pin-incorrect', message: 'the PIN is incorrect' },
  [C.CKR_PIN_INVALID]: { reason: 'pin-incorrect', message: 'the PIN is incorrect' },
  [C.CKR_PIN_LEN_RANGE]: { reason: 'pin-incorrect', message: 'the PIN is incorrect' },
  [C.CKR_PIN_LOCKED]: { reason: 'pin-locked', message: 'the token PIN is locked; reset it with the security officer PIN' },
  [C.CKR_PIN_EXPIRED]: { reason: 'pin-expired', message: 'the token PIN has expired and must be changed' },
  [C.CKR_TOKEN_NOT_PRESENT]: { reason: 'token-removed', message: 'the security token was removed' },
  [C.CKR_DEVICE_REMOVED]: { reason: 'token-removed', message: 'the security token was removed' },
  [C.CKR_SESSION_HANDLE_INVALID]: { reason: 'token-removed', message: 'the security token was removed' },
  [C.CKR_SESSION_CLOSED]: { reason: 'token-removed', message: 'the security token was removed' },
  [C.CKR_SLOT_ID_INVALID]: { reason: 'token-removed', message: 'the security token was removed' },
  [C.CKR_DEVICE_ERROR]: { reason: 'device', message: 'the security token reported a device error' },
  [C.CKR_DEVICE_MEMORY]: { reason: 'token-full', message: 'the security token has no room left' },
  [C.CKR_TOKEN_WRITE_PROTECTED]: { reason: 'read-only', message: 'the security token is write-protected' },
  [C.CKR_KEY_UNEXTRACTABLE]: { reason: 'non-extractable', message: 'private keys on a security token cannot be copied off it' },
  [C.CKR_ATTRIBUTE_SENSITIVE]: { reason: 'non-extractable', message: 'private keys on a security token cannot be copied off it' },
  [C.CKR_USER_PIN_NOT_INITIALIZED]: { reason: 'pin-not-set', message: 'the token has no user PIN yet' },
  [C.CKR_TOKEN_NOT_RECOGNIZED]: { reason: 'unrecognized', message: 'the security token is not recognised' },
})

/** Maps a PKCS#11 failure to CertError('TOKEN', ..., { reason }). */
export function tokenError(err: unknown): CertError {
  if (err instanceof CertError) return err
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'number' && reasonsTable()[code]) {
    const r = reasonsTable()[code]!
    return new CertError('TOKEN', r.message, { reason: r.reason })
  }
  return new CertError('TOKEN', 'the security token refused the operation', { reason: 'failed' })
}

/** Refuses to copy a private key off a token, whatever the token would allow. */
export function refuseKeyExport(): never {
  throw new CertError('TOKEN', 'private keys on a security token cannot be copied off it', { reason: 'non-extractable' })
}

// A module may be initialised once per process: every token call runs one at a time.
let queue: Promise<unknown> = Promise.resolve()
function serial<T>(fn: () => T | Promise<T>): Promise<T> {
  const run = queue.then(fn, fn)
  queue = run.catch(() => undefined)
  return run
}

function withModule<T>(module: string, fn: (p: P11) => T): T {
  const p = new C.PKCS11()
  try {
    p.load(module)
  } catch {
    throw new CertError('TOKEN', 'the security token module could not be loaded', { reason: 'module' })
  }
  try {
    try {
      p.C_Initialize()
    } catch (err) {
      if ((err as { code?: number }).code !== C.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw tokenError(err)
    }
    return fn(p)
  } finally {
    try {
      p.C_Finalize()
    } catch {
      /* already finalised */
    }
    try {
      p.close()
    } catch {
      /* library already unloaded */
    }
  }
}

function tokenInfoOf(p: P11, module: string, slot: Handle): TokenInfo {
  const t = p.C_GetTokenInfo(slot)
  return {
    module,
    slot: slot.toString('hex'),
    label: t.label.trim(),
    serial: t.serialNumber.trim(),
    manufacturer: t.manufacturerID.trim(),
    model: t.model.trim(),
    pinLocked: (t.flags & C.CKF_USER_PIN_LOCKED) !== 0,
    pinFinalTry: (t.flags & C.CKF_USER_PIN_FINAL_TRY) !== 0,
    pinCountLow: (t.flags & C.CKF_USER_PIN_COUNT_LOW) !== 0,
    pinToBeChanged: (t.flags & C.CKF_USER_PIN_TO_BE_CHANGED) !== 0,
  }
}

function initializedSlots(p: P11, module: string): { handle: Handle; info: TokenInfo }[] {
  const out: { handle: Handle; info: TokenInfo }[] = []
  for (const h of p.C_GetSlotList(true)) {
    try {
      const t = p.C_GetTokenInfo(h)
      if ((t.flags & C.CKF_TOKEN_INITIALIZED) === 0) continue
      out.push({ handle: h, info: tokenInfoOf(p, module, h) })
    } catch {
      /* a slot whose token vanished between the two calls */
    }
  }
  return out
}

/** Every initialised token in the given modules; a module that fails to load is skipped. */
export function listTokens(modules: string[]): Promise<TokenInfo[]> {
  return serial(() => {
    const out: TokenInfo[] = []
    for (const m of modules) {
      try {
        out.push(...withModule(m, (p) => initializedSlots(p, m).map((s) => s.info)))
      } catch {
        /* not loadable here */
      }
    }
    return out
  })
}

function pickSlot(p: P11, ref: TokenRef): { handle: Handle; info: TokenInfo } {
  const slots = initializedSlots(p, ref.module)
  const hit = ref.slot ? slots.find((s) => s.info.slot === ref.slot?.toLowerCase()) : ref.label !== undefined ? slots.find((s) => s.info.label === ref.label) : slots.length === 1 ? slots[0] : undefined
  if (!hit) {
    if (!ref.slot && ref.label === undefined && slots.length > 1) throw new CertError('BAD_REQUEST', 'several tokens are present: name one by label or slot')
    throw new CertError('TOKEN', 'the security token was not found (was it removed?)', { reason: 'token-removed' })
  }
  return hit
}

export interface SessionOptions {
  write?: boolean
  guard?: PinGuard
}

const defaultGuard = new PinGuard()

/**
 * Opens a logged-in session on a token and runs `fn`. A wrong PIN is counted by the guard,
 * and after the limit the app refuses to try again even if the token itself would.
 */
export function withTokenSession<T>(ref: TokenRef, pin: string, fn: (p: P11, session: Handle, token: TokenInfo) => T, opts: SessionOptions = {}): Promise<T> {
  const guard = opts.guard ?? defaultGuard
  return serial(async () => {
    // `reserved`: this attempt is counted (before the PIN went out); `verdict`: what the token said of it.
    const pending: { key?: string; reserved?: boolean; left?: number; verdict?: 'wrong' | 'right' } = {}
    try {
      return withModule(ref.module, (p) => {
        const { handle, info } = pickSlot(p, ref)
        const key = `${ref.module}#${info.serial || info.slot}`
        pending.key = key
        if (info.pinLocked) throw new CertError('TOKEN', 'the token PIN is locked; reset it with the security officer PIN', { reason: 'pin-locked' })
        const left = guard.reserve(key)
        if (left === undefined) throw new CertError('TOKEN', `the PIN was wrong ${guard.limit} times; this app will not try again until the PIN is reset`, { reason: 'pin-locked', source: 'app' })
        pending.reserved = true
        pending.left = left
        let session: Handle
        try {
          session = p.C_OpenSession(handle, C.CKF_SERIAL_SESSION | (opts.write ? C.CKF_RW_SESSION : 0))
        } catch (err) {
          throw tokenError(err)
        }
        try {
          try {
            p.C_Login(session, C.CKU_USER, pin)
          } catch (err) {
            const code = (err as { code?: number }).code
            if (code === C.CKR_PIN_INCORRECT) pending.verdict = 'wrong'
            if (code !== C.CKR_USER_ALREADY_LOGGED_IN) throw tokenError(err)
          }
          pending.verdict = 'right'
          try {
            return fn(p, session, info)
          } catch (err) {
            throw tokenError(err)
          }
        } finally {
          try {
            p.C_Logout(session)
          } catch {
            /* not logged in */
          }
          try {
            p.C_CloseSession(session)
          } catch {
            /* token gone */
          }
        }
      })
    } catch (err) {
      if (pending.verdict === 'wrong' && err instanceof CertError && err.params?.reason === 'pin-incorrect') {
        throw new CertError('TOKEN', err.message, { reason: 'pin-incorrect', attemptsLeft: Math.max(0, pending.left ?? 0) })
      }
      throw err
    } finally {
      if (pending.key && pending.reserved) {
        if (pending.verdict === 'right') await guard.ok(pending.key)
        else if (pending.verdict === undefined) guard.release(pending.key)
      }
    }
  })
}

function findObjects(p: P11, s: Handle, tmpl: Template): Handle[] {
  p.C_FindObjectsInit(s, tmpl)
  const out: Handle[] = []
  try {
    for (;;) {
      const batch = p.C_FindObjects(s, 64)
      if (batch.length === 0) break
      out.push(...batch)
    }
  } finally {
    p.C_FindObjectsFinal(s)
  }
  return out
}

function attr(p: P11, s: Handle, h: Handle, type: number): Buffer | undefined {
  const [a] = p.C_GetAttributeValue(s, h, [{ type }])
  const v = a?.value
  return Buffer.isBuffer(v) ? v : undefined
}

function b64u(s: string | undefined): Buffer {
  if (!s) throw new CertError('DAMAGED', 'the private key is missing an RSA component')
  return Buffer.from(s, 'base64url')
}

/** A public X.509 certificate object tied to its key pair by CKA_ID, as token tools expect. */
function certificateTemplate(id: Buffer, label: string, pieces: ReturnType<typeof certPieces>, der: Buffer): Template {
  return [
    { type: C.CKA_CLASS, value: C.CKO_CERTIFICATE },
    { type: C.CKA_CERTIFICATE_TYPE, value: C.CKC_X_509 },
    { type: C.CKA_TOKEN, value: true },
    { type: C.CKA_PRIVATE, value: false },
    { type: C.CKA_ID, value: id },
    { type: C.CKA_LABEL, value: label },
    { type: C.CKA_SUBJECT, value: pieces.subject },
    { type: C.CKA_ISSUER, value: pieces.issuer },
    { type: C.CKA_SERIAL_NUMBER, value: pieces.serial },
    { type: C.CKA_VALUE, value: der },
  ]
}

/** The raw DER pieces of a certificate a PKCS#11 certificate object carries. */
function certPieces(der: Uint8Array): { serial: Buffer; issuer: Buffer; subject: Buffer } {
  const cert = readTlv(der, 0)
  const [tbs] = children(expectTag(cert, 0x30, 'certificate'))
  const f = children(expectTag(tbs, 0x30, 'TBSCertificate'))
  // [version] serial signature issuer validity subject ...
  const i = f[0]?.tag === 0xa0 ? 1 : 0
  const serial = expectTag(f[i], 0x02, 'serial')
  const issuer = expectTag(f[i + 2], 0x30, 'issuer')
  const subject = expectTag(f[i + 4], 0x30, 'subject')
  const raw = (t: Tlv): Buffer => Buffer.from(element(t))
  return { serial: raw(serial), issuer: raw(issuer), subject: raw(subject) }
}

/** CKA_ID as most tools make it: SHA-1 of the RSA modulus. */
export function keyIdFor(modulus: Uint8Array): Buffer {
  let m = modulus
  while (m.length > 1 && m[0] === 0) m = m.subarray(1)
  return createHash('sha1').update(m).digest()
}

export interface ImportResult {
  idHex: string
  outcome: 'imported' | 'identical'
}

/**
 * Puts a certificate and its RSA private key on a token. The key object is created from the
 * PKCS#8's RSA components with CKA_SENSITIVE and not CKA_EXTRACTABLE, so it never leaves the
 * token again. The caller decrypts the PKCS#8 (with the certificate password) and drops it.
 */
export function importToToken(ref: TokenRef, pin: string, input: { certDer: Uint8Array; pkcs8: Uint8Array; label?: string }, opts: SessionOptions = {}): Promise<ImportResult> {
  let jwk: { n?: string; e?: string; d?: string; p?: string; q?: string; dp?: string; dq?: string; qi?: string; kty?: string }
  try {
    jwk = createPrivateKey({ key: Buffer.from(input.pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as typeof jwk
  } catch {
    throw new CertError('DAMAGED', 'the private key cannot be parsed')
  }
  if (jwk.kty !== 'RSA') throw new CertError('UNSUPPORTED', 'only RSA keys can be put on a security token')
  const facts = parseCertificate(input.certDer)
  const pieces = certPieces(input.certDer)
  const modulus = b64u(jwk.n)
  const id = keyIdFor(modulus)
  const label = input.label ?? facts.owner
  const certValue = Buffer.from(input.certDer)
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const existing = findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_CERTIFICATE }, { type: C.CKA_ID, value: id }])
      const existingKey = findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_PRIVATE_KEY }, { type: C.CKA_ID, value: id }])
      if (existing.length > 0 && existingKey.length > 0) {
        const v = attr(p, s, existing[0]!, C.CKA_VALUE)
        if (v && v.equals(certValue)) return { idHex: id.toString('hex'), outcome: 'identical' as const }
        throw new CertError('CONFLICT', 'the token already holds a different certificate for this key', { reason: 'different-certificate' })
      }
      const created: Handle[] = []
      try {
        if (existingKey.length === 0) {
          created.push(
            p.C_CreateObject(s, [
              { type: C.CKA_CLASS, value: C.CKO_PRIVATE_KEY },
              { type: C.CKA_KEY_TYPE, value: C.CKK_RSA },
              { type: C.CKA_TOKEN, value: true },
              { type: C.CKA_PRIVATE, value: true },
              { type: C.CKA_SENSITIVE, value: true },
              { type: C.CKA_EXTRACTABLE, value: false },
              { type: C.CKA_SIGN, value: true },
              { type: C.CKA_DECRYPT, value: true },
              { type: C.CKA_ID, value: id },
              { type: C.CKA_LABEL, value: label },
              { type: C.CKA_SUBJECT, value: pieces.subject },
              { type: C.CKA_MODULUS, value: modulus },
              { type: C.CKA_PUBLIC_EXPONENT, value: b64u(jwk.e) },
              { type: C.CKA_PRIVATE_EXPONENT, value: b64u(jwk.d) },
              { type: C.CKA_PRIME_1, value: b64u(jwk.p) },
              { type: C.CKA_PRIME_2, value: b64u(jwk.q) },
              { type: C.CKA_EXPONENT_1, value: b64u(jwk.dp) },
              { type: C.CKA_EXPONENT_2, value: b64u(jwk.dq) },
              { type: C.CKA_COEFFICIENT, value: b64u(jwk.qi) },
            ]),
          )
        }
        if (findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_PUBLIC_KEY }, { type: C.CKA_ID, value: id }]).length === 0) {
          created.push(
            p.C_CreateObject(s, [
              { type: C.CKA_CLASS, value: C.CKO_PUBLIC_KEY },
              { type: C.CKA_KEY_TYPE, value: C.CKK_RSA },
              { type: C.CKA_TOKEN, value: true },
              { type: C.CKA_PRIVATE, value: false },
              { type: C.CKA_VERIFY, value: true },
              { type: C.CKA_ENCRYPT, value: true },
              { type: C.CKA_ID, value: id },
              { type: C.CKA_LABEL, value: label },
              { type: C.CKA_SUBJECT, value: pieces.subject },
              { type: C.CKA_MODULUS, value: modulus },
              { type: C.CKA_PUBLIC_EXPONENT, value: b64u(jwk.e) },
            ]),
          )
        }
        for (const h of existing) p.C_DestroyObject(s, h)
        created.push(
          p.C_CreateObject(s, certificateTemplate(id, label, pieces, certValue)),
        )
      } catch (err) {
        // Half an import is worse than none: take back what was created.
        for (const h of created) {
          try {
            p.C_DestroyObject(s, h)
          } catch {
            /* token gone */
          }
        }
        throw err
      }
      return { idHex: id.toString('hex'), outcome: 'imported' as const }
    },
    { ...opts, write: true },
  )
}

/** The certificates on a token, each with whether its private key is there too. */
export function listTokenCerts(ref: TokenRef, pin: string, opts: SessionOptions = {}): Promise<TokenCert[]> {
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const keyIds = new Set(findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_PRIVATE_KEY }]).map((h) => attr(p, s, h, C.CKA_ID)?.toString('hex') ?? ''))
      const out: TokenCert[] = []
      for (const h of findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_CERTIFICATE }])) {
        const value = attr(p, s, h, C.CKA_VALUE)
        const idHex = attr(p, s, h, C.CKA_ID)?.toString('hex') ?? ''
        const label = attr(p, s, h, C.CKA_LABEL)?.toString('utf8') ?? ''
        if (!value) continue
        try {
          const f = parseCertificate(value)
          out.push({ idHex, label, serialHex: f.serialHex, owner: f.owner, subjectDn: f.subjectDn, issuerName: f.issuerName, notAfter: f.notAfter.toISOString(), hasPrivateKey: keyIds.has(idHex) })
        } catch {
          out.push({ idHex, label, serialHex: '', owner: label, subjectDn: '', issuerName: '', notAfter: '', hasPrivateKey: keyIds.has(idHex) })
        }
      }
      return out
    },
    opts,
  )
}

/**
 * CKA_APPLICATION of the data object holding a key's randomNum. PKCS#11 data objects have no
 * CKA_ID (SoftHSM refuses one), so the key's id is written into the application name instead.
 */
export function randomNumApplication(idHex: string): string {
  return `NPKI randomNum ${idHex.toLowerCase()}`
}

/** Removes the certificate, private key, public key and randomNum with this CKA_ID; returns how many objects went. */
export function deleteFromToken(ref: TokenRef, pin: string, idHex: string, opts: SessionOptions = {}): Promise<{ removed: number }> {
  if (!/^([0-9a-f]{2})+$/i.test(idHex)) throw new CertError('BAD_REQUEST', 'the key id must be hex')
  const id = Buffer.from(idHex, 'hex')
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const objs = [
        ...findObjects(p, s, [{ type: C.CKA_ID, value: id }]),
        ...findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_DATA }, { type: C.CKA_APPLICATION, value: randomNumApplication(idHex) }]),
      ]
      if (objs.length === 0) throw new CertError('NOT_FOUND', 'no object with this id on the token')
      for (const h of objs) p.C_DestroyObject(s, h)
      return { removed: objs.length }
    },
    { ...opts, write: true },
  )
}

export interface GeneratedKey {
  idHex: string
  /** SubjectPublicKeyInfo DER, ready for a certificate request. */
  spkiDer: Uint8Array
}

/**
 * Generates an RSA-2048 key pair on the token; the private key never leaves it. `idHex` is the
 * CKA_ID to give it (a renewal chooses it first, to journal it before the pair exists); a
 * fresh random one otherwise.
 */
export function generateTokenKey(ref: TokenRef, pin: string, input: { label?: string; bits?: number; idHex?: string } = {}, opts: SessionOptions = {}): Promise<GeneratedKey> {
  const id = input.idHex !== undefined ? Buffer.from(input.idHex, 'hex') : randomBytes(20)
  const label = input.label ?? 'certmgr key'
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const kp = p.C_GenerateKeyPair(
        s,
        { mechanism: C.CKM_RSA_PKCS_KEY_PAIR_GEN },
        [
          { type: C.CKA_TOKEN, value: true },
          { type: C.CKA_PRIVATE, value: false },
          { type: C.CKA_VERIFY, value: true },
          { type: C.CKA_ENCRYPT, value: true },
          { type: C.CKA_MODULUS_BITS, value: input.bits ?? 2048 },
          { type: C.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
          { type: C.CKA_ID, value: id },
          { type: C.CKA_LABEL, value: label },
        ],
        [
          { type: C.CKA_TOKEN, value: true },
          { type: C.CKA_PRIVATE, value: true },
          { type: C.CKA_SENSITIVE, value: true },
          { type: C.CKA_EXTRACTABLE, value: false },
          { type: C.CKA_SIGN, value: true },
          { type: C.CKA_DECRYPT, value: true },
          { type: C.CKA_ID, value: id },
          { type: C.CKA_LABEL, value: label },
        ],
      )
      const n = attr(p, s, kp.publicKey, C.CKA_MODULUS)
      const e = attr(p, s, kp.publicKey, C.CKA_PUBLIC_EXPONENT)
      if (!n || !e) throw new CertError('TOKEN', 'the token did not return the new public key', { reason: 'failed' })
      const spki = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' }).export({ type: 'spki', format: 'der' })
      return { idHex: id.toString('hex'), spkiDer: new Uint8Array(spki) }
    },
    { ...opts, write: true },
  )
}

function privateKeyHandle(p: P11, s: Handle, idHex: string): Handle {
  const [h] = findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_PRIVATE_KEY }, { type: C.CKA_ID, value: Buffer.from(idHex, 'hex') }])
  if (!h) throw new CertError('NOT_FOUND', 'no private key with this id on the token')
  return h
}

/** Signs with a token key: SHA-256 with RSA PKCS#1 v1.5 (CKM_SHA256_RSA_PKCS), done on the token. */
export function signWithToken(ref: TokenRef, pin: string, idHex: string, data: Uint8Array, opts: SessionOptions = {}): Promise<Uint8Array> {
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const key = privateKeyHandle(p, s, idHex)
      p.C_SignInit(s, { mechanism: C.CKM_SHA256_RSA_PKCS }, key)
      return new Uint8Array(p.C_Sign(s, Buffer.from(data), Buffer.alloc(1024)))
    },
    opts,
  )
}

/** The protection flags of a private key on the token (what the UI shows; what tests check). */
export function tokenKeyFlags(ref: TokenRef, pin: string, idHex: string, opts: SessionOptions = {}): Promise<{ sensitive: boolean; extractable: boolean }> {
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const key = privateKeyHandle(p, s, idHex)
      const [sens, ext] = p.C_GetAttributeValue(s, key, [{ type: C.CKA_SENSITIVE }, { type: C.CKA_EXTRACTABLE }])
      const flag = (v: unknown): boolean => (Buffer.isBuffer(v) ? v[0] === 1 : v === true)
      return { sensitive: flag(sens?.value), extractable: flag(ext?.value) }
    },
    opts,
  )
}

/** The object handles with this CKA_ID, by class. */
function objectsWithId(p: P11, s: Handle, id: Buffer): Handle[] {
  return findObjects(p, s, [{ type: C.CKA_ID, value: id }])
}

/**
 * Stores an issued certificate beside the key pair `generateTokenKey` made: a CKO_CERTIFICATE
 * with the key's CKA_ID, and the key pair relabelled to the certificate's label so token
 * tools show the three as one. With `randomNum` a private CKO_DATA object keeps it (NPKI keeps
 * it in the PKCS#8, which a token key has none of), readable only after login because with
 * the certificate's VID it lets the holder's resident number be confirmed.
 * Refuses a certificate whose public key is not the token key's.
 */
export function storeCertOnToken(
  ref: TokenRef,
  pin: string,
  input: { certDer: Uint8Array; idHex: string; label?: string; randomNum?: Uint8Array },
  opts: SessionOptions = {},
): Promise<{ idHex: string; label: string }> {
  if (!/^([0-9a-f]{2})+$/i.test(input.idHex)) throw new CertError('BAD_REQUEST', 'the key id must be hex')
  const id = Buffer.from(input.idHex, 'hex')
  let certKey: Buffer
  let facts: ReturnType<typeof parseCertificate>
  try {
    facts = parseCertificate(input.certDer)
    certKey = new X509Certificate(Buffer.from(input.certDer)).publicKey.export({ type: 'spki', format: 'der' })
  } catch {
    throw new CertError('DAMAGED', 'the certificate cannot be parsed')
  }
  const pieces = certPieces(input.certDer)
  const label = (input.label ?? facts.owner).slice(0, 64)
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const pub = findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_PUBLIC_KEY }, { type: C.CKA_ID, value: id }])[0]
      privateKeyHandle(p, s, input.idHex)
      const n = pub && attr(p, s, pub, C.CKA_MODULUS)
      const e = pub && attr(p, s, pub, C.CKA_PUBLIC_EXPONENT)
      if (!n || !e) throw new CertError('NOT_FOUND', 'no public key with this id on the token')
      const tokenKey = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' }).export({ type: 'spki', format: 'der' })
      if (!tokenKey.equals(certKey)) throw new CertError('CONFLICT', 'the certificate is not for this token key', { reason: 'key-mismatch' })
      if (findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_CERTIFICATE }, { type: C.CKA_ID, value: id }]).length > 0) {
        throw new CertError('CONFLICT', 'the token already holds a certificate for this key', { reason: 'different-certificate' })
      }
      const created: Handle[] = []
      try {
        created.push(
          p.C_CreateObject(s, certificateTemplate(id, label, pieces, Buffer.from(input.certDer))),
        )
        if (input.randomNum) {
          created.push(
            p.C_CreateObject(s, [
              { type: C.CKA_CLASS, value: C.CKO_DATA },
              { type: C.CKA_TOKEN, value: true },
              { type: C.CKA_PRIVATE, value: true },
              { type: C.CKA_LABEL, value: label },
              { type: C.CKA_APPLICATION, value: randomNumApplication(input.idHex) },
              { type: C.CKA_VALUE, value: Buffer.from(input.randomNum) },
            ]),
          )
        }
        for (const h of objectsWithId(p, s, id)) {
          if (created.some((c) => c.equals(h))) continue
          p.C_SetAttributeValue(s, h, [
            { type: C.CKA_LABEL, value: label },
            { type: C.CKA_SUBJECT, value: pieces.subject },
          ])
        }
      } catch (err) {
        for (const h of created) {
          try {
            p.C_DestroyObject(s, h)
          } catch {
            /* token gone */
          }
        }
        throw err
      }
      return { idHex: input.idHex.toLowerCase(), label }
    },
    { ...opts, write: true },
  )
}

/** The randomNum stored with a token key by `storeCertOnToken`, if any. */
export function tokenRandomNum(ref: TokenRef, pin: string, idHex: string, opts: SessionOptions = {}): Promise<Uint8Array | undefined> {
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const [h] = findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_DATA }, { type: C.CKA_APPLICATION, value: randomNumApplication(idHex) }])
      const v = h && attr(p, s, h, C.CKA_VALUE)
      return v ? new Uint8Array(v) : undefined
    },
    opts,
  )
}

/** The DER of the certificate with this CKA_ID (a renewal signs with its key and names it in the kur). */
export function readTokenCert(ref: TokenRef, pin: string, idHex: string, opts: SessionOptions = {}): Promise<Uint8Array> {
  if (!/^([0-9a-f]{2})+$/i.test(idHex)) throw new CertError('BAD_REQUEST', 'the key id must be hex')
  return withTokenSession(
    ref,
    pin,
    (p, s) => {
      const [h] = findObjects(p, s, [{ type: C.CKA_CLASS, value: C.CKO_CERTIFICATE }, { type: C.CKA_ID, value: Buffer.from(idHex, 'hex') }])
      const v = h && attr(p, s, h, C.CKA_VALUE)
      if (!v) throw new CertError('NOT_FOUND', 'no certificate with this id on the token')
      return new Uint8Array(v)
    },
    opts,
  )
}
