import { CertError } from '../../shared/errors'
import { assertNoLinkBelow } from '../roots/links'
import { certIdFor } from './identity'
import type { FoundCert } from './scan'

export { certIdFor } from './identity'

/**
 * Handles the renderer may hold: a certificate's id is a hash of its real folder (see
 * identity.ts), so the renderer never sends a path main would trust, ids stay the same across
 * rescans, and two paths to one folder are one certificate.
 */
const byId = new Map<string, FoundCert>()

/** A found certificate's id (the scan computes it; a folder read on its own gets it now). */
export function idOf(c: FoundCert): string {
  c.id ??= certIdFor(c.path)
  return c.id
}

export function rememberCerts(certs: FoundCert[]): Map<string, FoundCert> {
  byId.clear()
  for (const c of certs) byId.set(idOf(c), c)
  return byId
}

export function getFoundCert(id: string): FoundCert {
  const c = byId.get(id)
  if (!c) throw new CertError('NOT_FOUND', 'no such certificate (the list may be out of date)')
  return c
}

/**
 * The folder of a listed certificate, for reading, writing or deleting it. Refused when a
 * folder between its root and it has become a link since the list was made: whatever is shown
 * is never written or deleted through a link.
 */
export function resolveCertFolder(id: string): string {
  const c = getFoundCert(id)
  // Tests register bare folders without a root; a PFX file has none below it.
  const root = c.root as FoundCert['root'] | undefined
  if (root && root.location !== 'file') assertNoLinkBelow(root.path, c.path)
  return c.path
}
