import type { centerCalls } from '../../shared/contract/center'
import type { enrollCalls } from '../../shared/contract/enroll'
import { npkiRoots } from '../../core/certs/roots'
import type { Trash } from '../../core/storage/trash'
import { PinGuard } from '../../core/token/pins'
import type { Handlers } from '../handler'
import { createCenterHandlers } from './center-handlers'
import { createEnrollHandlers } from './enroll-handlers'
import { WizardState } from './sessions'

export interface WizardDeps {
  /** `secret`: the embedded center's per-run secret, which opens its outbox and self-registration. */
  center: () => { url: string; embedded: boolean; secret?: string }
  trash: Trash
  /** PKCS#11 modules from settings, tried before the OS defaults; only these may be loaded. */
  tokenModules?: () => Promise<string[]>
  /**
   * Counts wrong token PINs. Pass the one the storage handlers use (same file) so the wizard
   * and the 보안토큰 tab share one count; otherwise the wizard keeps its own in memory.
   */
  pinGuard?: PinGuard
  /** Where 하드디스크 saves go by default (the OS's main NPKI folder, or CERTMGR_NPKI_ROOTS's first). */
  defaultRoot?: () => string
  /** The roots a certificate may be saved into; the renderer's choice must be one of them. */
  allowedRoots?: () => Promise<{ pc: string[]; usb: string[] }>
}

/**
 * The wizards' calls: the RA session steps (center-handlers.ts) and the enrollment use-cases
 * (enroll-handlers.ts), sharing one record of sessions and running operations.
 */
export function createWizardHandlers(deps: WizardDeps): Handlers<typeof centerCalls & typeof enrollCalls> {
  const state = new WizardState()
  return {
    ...createCenterHandlers(deps.center, state),
    ...createEnrollHandlers(
      {
        center: deps.center,
        trash: deps.trash,
        pinGuard: deps.pinGuard ?? new PinGuard(),
        defaultRoot: deps.defaultRoot ?? (() => npkiRoots()[0]!.path),
        ...(deps.allowedRoots ? { allowedRoots: deps.allowedRoots } : {}),
        ...(deps.tokenModules ? { tokenModules: deps.tokenModules } : {}),
      },
      state,
    ),
  }
}
