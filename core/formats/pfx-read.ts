import { CertError } from '../../shared/errors'
import { OID, children, content, damaged, expectTag, octetString, octets, oidOf, parseTop, raw, seqOf, smallInt, unsupported, type Tlv } from './pfx-asn1'
import { decryptWith, garbage, type ReadCtx } from './pfx-decrypt'
import { bmpCandidates } from './pfx-kdf'
import { hasRandomNum, keyMatches, privateKeyObject, withRandomNum } from './pfx-keys'
import { KdfSession, type KdfOptions } from './pfx-kdf-pool'
import { MAX_PFX_BYTES } from './pfx-limits'
import { verifyMac } from './pfx-mac'
import type { PfxContents } from './pfx-types'

// ---------------------------------------------------------------------------------------------
// Reading

interface Attrs {
  friendlyName?: string
  localKeyId?: Uint8Array
  randomNumAttr?: Uint8Array
}

interface KeyItem extends Attrs {
  kind: 'key'
  pkcs8: Uint8Array
  encryption: string
}
interface CertItem extends Attrs {
  kind: 'cert'
  der: Uint8Array
  /** How the safe holding this certificate was protected. */
  protection: string
}

function decodeBmp(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!)
  return s
}

function readAttrs(t: Tlv | undefined): Attrs {
  const out: Attrs = {}
  if (!t) return out
  for (const attr of children(expectTag(t, 0x31, 'bad bag attributes'))) {
    const [idT, valuesT] = seqOf(attr, 'bad bag attribute')
    const id = oidOf(idT, 'bad bag attribute')
    const values = children(expectTag(valuesT, 0x31, 'bad bag attribute'))
    if (id === OID.friendlyName && values[0]?.tag === 0x1e) out.friendlyName = decodeBmp(content(values[0]))
    else if (id === OID.localKeyId && values[0]) out.localKeyId = octetString(values[0], 'bad localKeyID').slice()
    else if (id === OID.randomNum && values[0]) out.randomNumAttr = raw(attr).slice()
  }
  return out
}

/** Checks a decrypted or embedded PrivateKeyInfo and returns exactly its DER bytes. */
function privateKeyInfo(bytes: Uint8Array, ctx: ReadCtx, decrypted: boolean): Uint8Array {
  const fail = (): never => (decrypted ? garbage(ctx, 'bad private key') : damaged('bad private key'))
  try {
    const top = parseTop(bytes)
    if (top.tag !== 0x30) fail()
    if (decrypted && top.end !== bytes.length) fail()
    const [ver, alg, key] = children(top)
    smallInt(ver, 'bad private key')
    seqOf(alg, 'bad private key')
    if (!key || key.tag !== 0x04) fail()
    return raw(top).slice()
  } catch (e) {
    if (e instanceof CertError && e.code === 'DAMAGED') fail()
    throw e
  }
}

/** Items found in one safe or bag, kept in file order even though decryption runs in parallel. */
type Found = Array<KeyItem | CertItem | Promise<Found>>

function readSafeContents(bytes: Uint8Array, ctx: ReadCtx, depth: number, decrypted: boolean): Found {
  if (depth > 4) damaged('nested bags too deep')
  let top: Tlv
  try {
    top = parseTop(bytes)
    if (top.tag !== 0x30) damaged('bad safe contents')
  } catch (e) {
    if (decrypted && e instanceof CertError && e.code === 'DAMAGED') garbage(ctx, 'bad safe contents')
    throw e
  }
  const found: Found = []
  return collecting(found, () => {
    for (const bag of children(top)) {
      const [idT, valueT, attrsT] = seqOf(bag, 'bad safe bag')
      const id = oidOf(idT, 'bad safe bag')
      const value = children(expectTag(valueT, 0xa0, 'bad safe bag value'))[0]
      if (!value) damaged('empty safe bag')
      const attrs = readAttrs(attrsT)
      if (id === OID.keyBag) {
        found.push({ ...attrs, kind: 'key', pkcs8: privateKeyInfo(raw(value), ctx, false), encryption: 'none' })
      } else if (id === OID.shroudedKeyBag) {
        const [alg, data] = seqOf(value, 'bad encrypted private key')
        const enc = octetString(data, 'bad encrypted private key')
        found.push(decryptWith(alg!, enc, ctx).then(({ plain, label }) => [{ ...attrs, kind: 'key', pkcs8: privateKeyInfo(plain, ctx, true), encryption: label }]))
      } else if (id === OID.certBag) {
        const [certId, certValue] = seqOf(value, 'bad certificate bag')
        if (oidOf(certId, 'bad certificate bag') !== OID.x509Certificate) continue
        const inner = children(expectTag(certValue, 0xa0, 'bad certificate bag'))[0]
        found.push({ ...attrs, kind: 'cert', der: octetString(inner, 'bad certificate bag').slice(), protection: '' })
      } else if (id === OID.safeContentsBag) {
        found.push(...readSafeContents(raw(value), ctx, depth + 1, false))
      }
      // CRL, secret and unknown bags carry nothing this app uses.
    }
  })
}

/**
 * Runs a parse loop that starts decryptions as it goes. When the loop throws part-way, the
 * decryptions already started are still running: mark them handled so that their own failure
 * does not surface later as an unhandled rejection.
 */
function collecting(found: Found, loop: () => void): Found {
  try {
    loop()
  } catch (e) {
    for (const f of found) if (f instanceof Promise) f.catch(() => undefined)
    throw e
  }
  return found
}

/** Waits for every pending decryption (observing every rejection) and flattens in order. */
async function flatten(found: Found): Promise<Array<KeyItem | CertItem>> {
  const results = await Promise.allSettled(found.map(async (f) => (f instanceof Promise ? flatten(await f) : [f])))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))
}

function markCerts(found: Found, protection: string): Found {
  for (const f of found) if (!(f instanceof Promise) && f.kind === 'cert') f.protection = protection
  return found
}

function readAuthSafe(bytes: Uint8Array, ctx: ReadCtx): Found {
  const infos = seqOf(parseTop(bytes), 'bad authenticated safe')
  const found: Found = []
  return collecting(found, () => {
    for (const info of infos) {
      const [typeT, wrapped] = seqOf(info, 'bad content info')
      const type = oidOf(typeT, 'bad content info')
      if (!wrapped) continue
      const inner = children(expectTag(wrapped, 0xa0, 'bad content info'))[0]
      if (!inner) damaged('bad content info')
      if (type === OID.data) {
        found.push(...markCerts(readSafeContents(octetString(inner, 'bad data safe'), ctx, 0, false), 'none'))
      } else if (type === OID.encryptedData) {
        const [ver, eci] = seqOf(inner, 'bad encrypted data')
        smallInt(ver, 'bad encrypted data')
        const [, alg, encT] = seqOf(eci, 'bad encrypted content info')
        if (!encT) continue
        if (encT.tag !== 0x80 && encT.tag !== 0xa0) damaged('bad encrypted content')
        const data = octets(encT)
        found.push(decryptWith(alg!, data, ctx).then(({ plain, label }) => markCerts(readSafeContents(plain, ctx, 0, true), label)))
      } else if (type === OID.envelopedData) {
        unsupported('public-key encrypted safe')
      }
    }
  })
}

/**
 * Reads a PFX. Wrong password → WRONG_PASSWORD; not a PFX or damaged → DAMAGED; a key that
 * does not belong to the certificate → KEY_MISMATCH; algorithms we cannot run → UNSUPPORTED;
 * a file over the size, iteration or total-work limits → UNSUPPORTED naming the limit
 * (params.reason pfx-size-limit, pfx-iteration-limit, pfx-work-limit). Key derivation runs in
 * a worker thread; `signal` cancels it (CANCELLED), `onProgress` reports the rounds done.
 */
export async function readPfx(bytes: Uint8Array, password: string, opts: KdfOptions = {}): Promise<PfxContents> {
  try {
    return await readPfxInner(bytes, password, opts)
  } catch (e) {
    if (e instanceof CertError) throw e
    throw new CertError('DAMAGED', 'the PFX file is damaged or not a PFX')
  }
}

/** The one-line refusal of a file over MAX_PFX_BYTES; callers reading from disk check before reading. */
export function pfxTooLarge(): CertError {
  return new CertError('UNSUPPORTED', `the file is larger than a PFX can be (limit ${MAX_PFX_BYTES / 1024} KiB)`, { reason: 'pfx-size-limit', limit: MAX_PFX_BYTES })
}

async function readPfxInner(bytes: Uint8Array, password: string, opts: KdfOptions): Promise<PfxContents> {
  if (bytes.length > MAX_PFX_BYTES) throw pfxTooLarge()
  const kdf = new KdfSession(opts)
  try {
    return await readWith(kdf, bytes, password)
  } finally {
    // A refused or failed read leaves no derivation running behind it.
    kdf.close()
  }
}

async function readWith(kdf: KdfSession, bytes: Uint8Array, password: string): Promise<PfxContents> {
  const [verT, authSafeInfo, macData] = seqOf(parseTop(bytes), 'not a PFX')
  if (smallInt(verT, 'bad version') !== 3) damaged('not version 3')
  const [typeT, wrapped] = seqOf(authSafeInfo, 'bad authenticated safe')
  const type = oidOf(typeT, 'bad authenticated safe')
  if (type === OID.signedData) unsupported('public-key integrity mode')
  if (type !== OID.data) damaged('bad authenticated safe')
  const authSafe = octetString(children(expectTag(wrapped, 0xa0, 'bad authenticated safe'))[0], 'bad authenticated safe')

  const ctx: ReadCtx = { bmp: bmpCandidates(password), utf8: new TextEncoder().encode(password), macVerified: false, kdf }
  let macAlgorithm: string | undefined
  if (macData) {
    const { alg, bmp } = await verifyMac(macData, authSafe, ctx.bmp, kdf)
    macAlgorithm = alg
    ctx.bmp = [bmp]
    ctx.macVerified = true
  }

  const items = await flatten(readAuthSafe(authSafe, ctx))
  const keys = items.filter((i): i is KeyItem => i.kind === 'key')
  const certs = items.filter((i): i is CertItem => i.kind === 'cert')
  const key = keys[0]
  if (!key) throw new CertError('DAMAGED', 'the PFX file holds no private key')
  if (certs.length === 0) throw new CertError('DAMAGED', 'the PFX file holds no certificate')

  const priv = privateKeyObject(key.pkcs8)
  const sameId = (c: CertItem): boolean => !!key.localKeyId && !!c.localKeyId && Buffer.from(key.localKeyId).equals(Buffer.from(c.localKeyId))
  const leaf = certs.find(sameId) ?? certs.find((c) => keyMatches(priv, c.der))
  if (!leaf || !keyMatches(priv, leaf.der)) throw new CertError('KEY_MISMATCH', 'the private key in the PFX does not belong to its certificate')

  let pkcs8 = key.pkcs8
  const randomAttr = key.randomNumAttr ?? leaf.randomNumAttr
  if (randomAttr && !hasRandomNum(pkcs8)) pkcs8 = withRandomNum(pkcs8, randomAttr)

  const friendlyName = key.friendlyName ?? leaf.friendlyName
  const localKeyId = key.localKeyId ?? leaf.localKeyId
  return {
    certDer: leaf.der,
    pkcs8,
    chain: certs.filter((c) => c !== leaf).map((c) => c.der),
    ...(friendlyName !== undefined ? { friendlyName } : {}),
    ...(localKeyId ? { localKeyId } : {}),
    ...(macAlgorithm ? { macAlgorithm } : {}),
    encryption: key.encryption,
    certEncryption: leaf.protection,
  }
}
