import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificateList } from '@peculiar/asn1-x509'
import { toHex } from '../../shared/der/bytes'

/**
 * The serials a center's CRL lists as revoked, or undefined when it publishes none at
 * `<center>/crl` (a remote CMP CA may keep its CRL elsewhere). Used after a reissue to find the
 * local copy of the certificate the center just revoked.
 */
export async function revokedSerials(centerUrl: string, timeoutMs = 5_000): Promise<Set<string> | undefined> {
  try {
    const res = await fetch(centerUrl.replace(/\/+$/, '') + '/crl', { signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) return undefined
    const crl = AsnConvert.parse(new Uint8Array(await res.arrayBuffer()), CertificateList)
    const out = new Set<string>()
    for (const r of crl.tbsCertList.revokedCertificates ?? []) out.add(toHex(new Uint8Array(r.userCertificate)).replace(/^(00)+(?=.)/, ''))
    return out
  } catch {
    return undefined
  }
}
