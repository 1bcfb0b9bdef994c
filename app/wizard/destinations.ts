import type { Destination } from '../../shared/contract/enroll'
import { CertError } from '../../shared/errors'
import type { RootPolicy } from '../../core/roots/root-policy'
import { availableModules, listTokens, type TokenInfo, type TokenRef } from '../../core/token/pkcs11'

/** What the wizard needs to check the destination the renderer chose. */
export interface DestinationDeps {
  /** Where 하드디스크 saves go by default, and the roots a certificate may be saved into. */
  roots: RootPolicy
  /** PKCS#11 modules from settings, tried before the OS defaults; only these may be loaded. */
  tokenModules?: () => Promise<string[]>
}

/** The folder root the renderer named, checked against the roots main knows. */
export async function rootFor(deps: DestinationDeps, dest: Destination): Promise<{ root: string; location: 'pc' | 'usb' }> {
  if (dest.kind === 'pc' || dest.kind === 'usb') {
    // The renderer's choice must be one of the policy's roots of that kind (a drive's when it says usb).
    const named = dest.kind === 'pc' ? (dest.root ?? deps.roots.defaultRoot()) : dest.root
    const root = await deps.roots.requireRoot(named, [dest.kind])
    return { root: root.path, location: dest.kind }
  }
  throw new CertError('BAD_REQUEST', 'a security token is not a folder')
}

/** The token the renderer named, checked against the modules main is allowed to load. */
export async function tokenFor(deps: DestinationDeps, dest: { module?: string; slot: string }): Promise<{ ref: TokenRef; info: TokenInfo }> {
  const allowed = availableModules((await deps.tokenModules?.()) ?? [])
  // Loading a library runs its code: only modules from the configured or default list.
  if (dest.module !== undefined && !allowed.includes(dest.module)) throw new CertError('FORBIDDEN', 'this PKCS#11 module is not in the configured list')
  const slot = dest.slot.toLowerCase()
  const info = (await listTokens(dest.module !== undefined ? [dest.module] : allowed)).find((t) => t.slot === slot)
  if (!info) throw new CertError('TOKEN', 'the security token was not found (was it removed?)', { reason: 'token-removed' })
  return { ref: { module: info.module, slot }, info }
}
