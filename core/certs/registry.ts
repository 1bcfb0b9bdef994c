import { createHash } from 'node:crypto'
import { CertError } from '../../shared/errors'
import type { FoundCert } from './scan'

/**
 * Handles the renderer may hold: a certificate's id is a hash of its folder path, so the
 * renderer never sends a path main would trust, and ids stay the same across rescans.
 */
const byId = new Map<string, FoundCert>()

export function certIdFor(path: string): string {
  return 'c' + createHash('sha256').update(path).digest('base64url').slice(0, 22)
}

export function rememberCerts(certs: FoundCert[]): Map<string, FoundCert> {
  byId.clear()
  for (const c of certs) byId.set(certIdFor(c.path), c)
  return byId
}

export function getFoundCert(id: string): FoundCert {
  const c = byId.get(id)
  if (!c) throw new CertError('NOT_FOUND', 'no such certificate (the list may be out of date)')
  return c
}

/** The folder of a listed certificate. */
export function resolveCertFolder(id: string): string {
  return getFoundCert(id).path
}
