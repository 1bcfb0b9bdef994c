import { parseCertificate } from '../certs/parse'
import type { NpkiRoot } from '../certs/roots'
import { scanRoots } from '../certs/scan'
import { revokedSerials } from '../enroll/revoked'
import type { Trash } from '../storage/trash'
import { assertNoLinkBelow } from '../roots/links'

/**
 * After a 재발급 the center has revoked the previous certificate: local copies of this issuer's
 * certificates that its CRL lists go to the trash (restorable for 30 days), so the list does
 * not offer a revoked certificate. `roots` are the folders searched; `issuedDer` is the new
 * certificate, which names the issuer and authenticates the CA that must have signed the CRL.
 */
export async function trashRevoked(centerUrl: string, issuedDer: Uint8Array, roots: NpkiRoot[], trash: Trash): Promise<string[]> {
  const issuerDn = parseCertificate(issuedDer).issuerDn
  const serials = await revokedSerials(centerUrl, issuedDer)
  if (!serials?.size) return []
  const moved: string[] = []
  for (const c of scanRoots(roots).certs) {
    if (!c.facts || c.facts.issuerDn !== issuerDn || !serials.has(c.facts.serialHex)) continue
    // Never deleted through a link (the scan shows none; this catches one swapped in since).
    await Promise.resolve()
      .then(() => assertNoLinkBelow(c.root.path, c.path))
      .then(() => trash.put(c.path))
      .then(() => moved.push(c.facts!.serialHex), () => undefined)
  }
  return moved
}
