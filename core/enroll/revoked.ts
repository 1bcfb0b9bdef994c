import { verify as nodeVerify, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificateList } from '@peculiar/asn1-x509'
import { toHex } from '../../shared/der/bytes'
import { bytesEqual } from '../../shared/cmp/messages'
import { children, element, readBitString, readOid, readRoot, TAG } from '../../shared/der/reader'
import { boundedBody } from './bounded-body'
import { VERIFY_HASH as SIGNATURE_HASH } from './cmp-client'

/** A CRL larger than this is not read (a hostile center costs bounded memory). */
const MAX_CRL_BYTES = 8 * 1024 * 1024

/**
 * Whether `crlDer` was signed by the CA of `caCertDer`: the CRL's issuer is that CA's subject,
 * the inner and outer signature algorithms agree, and the signature over tbsCertList verifies
 * with the CA's public key. Never throws; anything malformed is false.
 */
export function crlSignedBy(crlDer: Uint8Array, caCertDer: Uint8Array): boolean {
  try {
    const [tbs, outerAlg, sig] = children(readRoot(crlDer, TAG.SEQUENCE))
    if (!tbs || !outerAlg || !sig || sig.tag !== TAG.BIT_STRING) return false
    const fields = children(tbs)
    const at = fields[0]?.tag === TAG.INTEGER ? 1 : 0 // optional version
    const innerAlg = fields[at]
    const issuer = fields[at + 1]
    if (!innerAlg || !issuer || !bytesEqual(element(innerAlg), element(outerAlg))) return false
    const ca = new X509Certificate(Buffer.from(caCertDer))
    const caFields = children(children(readRoot(caCertDer, TAG.SEQUENCE))[0]!)
    const c = caFields[0]?.tag === TAG.CTX0 ? 1 : 0 // optional [0] version
    const caSubject = caFields[c + 4] // serial, signature, issuer, validity, subject
    if (!caSubject || !bytesEqual(element(issuer), element(caSubject))) return false
    const hash = SIGNATURE_HASH[readOid(children(outerAlg)[0]!)]
    if (hash === undefined) return false
    const { unused, bytes } = readBitString(sig)
    if (unused !== 0) return false
    return nodeVerify(hash, element(tbs), ca.publicKey, bytes)
  } catch {
    return false
  }
}

async function fetchBounded(url: string, timeoutMs: number): Promise<Uint8Array | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) return undefined
    return await boundedBody(res, MAX_CRL_BYTES)
  } catch {
    return undefined
  }
}

/**
 * The CA certificate that issued `issuedDer`: among the candidates (the caller's, then the
 * center's `<center>/ca.crt`), the one whose key verifiably signed that certificate. A
 * certificate this app holds (and the center issued) authenticates its issuer, so a CA
 * certificate swapped in on the way cannot pass.
 */
async function issuingCa(centerUrl: string, issuedDer: Uint8Array, candidates: Uint8Array[], timeoutMs: number): Promise<Uint8Array | undefined> {
  const issued = new X509Certificate(Buffer.from(issuedDer))
  const fits = (der: Uint8Array): boolean => {
    try {
      const c = new X509Certificate(Buffer.from(der))
      return issued.checkIssued(c) && issued.verify(c.publicKey)
    } catch {
      return false
    }
  }
  const given = candidates.find(fits)
  if (given) return given
  const fetched = await fetchBounded(centerUrl.replace(/\/+$/, '') + '/ca.crt', timeoutMs)
  return fetched && fits(fetched) ? fetched : undefined
}

export interface RevokedSerialsOptions {
  timeoutMs?: number
  /** CA certificates known already (configured trust, a CMP answer's caPubs); `<center>/ca.crt` is asked otherwise. */
  caCerts?: Uint8Array[]
  /**
   * A CRL issued (thisUpdate) before this moment is not accepted: a correctly signed but older
   * CRL replayed on the way would otherwise answer for a time it knows nothing about.
   */
  notBefore?: Date
}

/**
 * The serials a center's CRL lists as revoked, read from `<center>/crl` and accepted only when
 * it is signed by the CA that issued `issuedDer` (a certificate of this center the app holds).
 * Undefined when the center publishes no CRL there (a remote CMP CA may keep it elsewhere),
 * when its CA certificate cannot be found, when the CRL's signature does not verify, or when it
 * was issued before `opts.notBefore`: the callers then decide nothing.
 */
export async function revokedSerials(centerUrl: string, issuedDer: Uint8Array, opts: RevokedSerialsOptions = {}): Promise<Set<string> | undefined> {
  const timeoutMs = opts.timeoutMs ?? 5_000
  try {
    const crlDer = await fetchBounded(centerUrl.replace(/\/+$/, '') + '/crl', timeoutMs)
    if (!crlDer) return undefined
    const ca = await issuingCa(centerUrl, issuedDer, opts.caCerts ?? [], timeoutMs)
    if (!ca || !crlSignedBy(crlDer, ca)) return undefined
    const crl = AsnConvert.parse(crlDer, CertificateList)
    if (opts.notBefore && !(crl.tbsCertList.thisUpdate.getTime().getTime() >= opts.notBefore.getTime())) return undefined
    const out = new Set<string>()
    for (const r of crl.tbsCertList.revokedCertificates ?? []) out.add(toHex(new Uint8Array(r.userCertificate)).replace(/^(00)+(?=.)/, ''))
    return out
  } catch {
    return undefined
  }
}
