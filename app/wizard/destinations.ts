import { resolve } from 'node:path'
import type { Destination } from '../../shared/contract/enroll'
import { CertError } from '../../shared/errors'
import { availableModules, listTokens, type TokenInfo, type TokenRef } from '../../core/token/pkcs11'

/** What the wizard needs to check the destination the renderer chose. */
export interface DestinationDeps {
  /** Where 하드디스크 saves go by default. */
  defaultRoot: () => string
  /** The roots a certificate may be saved into; the renderer's choice must be one of them. */
  allowedRoots?: () => Promise<{ pc: string[]; usb: string[] }>
  /** PKCS#11 modules from settings, tried before the OS defaults; only these may be loaded. */
  tokenModules?: () => Promise<string[]>
}

/** The folder root the renderer named, checked against the roots main knows. */
export async function rootFor(deps: DestinationDeps, dest: Destination): Promise<{ root: string; location: 'pc' | 'usb' }> {
  if (dest.kind === 'pc' || dest.kind === 'usb') {
    const root = dest.kind === 'pc' ? (dest.root ?? deps.defaultRoot()) : dest.root
    const allowed = await deps.allowedRoots?.()
    if (allowed && !allowed[dest.kind].some((r) => resolve(r) === resolve(root))) {
      throw new CertError(dest.kind === 'usb' ? 'IO' : 'FORBIDDEN', dest.kind === 'usb' ? 'the removable drive is no longer connected' : 'that folder is not one of the NPKI folders', dest.kind === 'usb' ? { reason: 'device' } : undefined)
    }
    return { root, location: dest.kind }
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
