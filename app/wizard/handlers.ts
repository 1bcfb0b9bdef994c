import type { centerCalls } from '../../shared/contract/center'
import type { enrollCalls } from '../../shared/contract/enroll'
import { RootPolicy } from '../../core/roots/root-policy'
import type { Trash } from '../../core/storage/trash'
import type { CenterNow, RenewalJournal } from '../../core/usecases/renewal-journal'
import { PinGuard } from '../../core/token/pins'
import type { Handlers } from '../handler'
import { createCenterHandlers } from './center-handlers'
import { createEnrollHandlers } from './enroll-handlers'
import { WizardState } from './sessions'
import type { RunningOps } from '../running-ops'

export interface WizardDeps {
  /** `secret`: the embedded center's per-run secret, which opens its outbox and self-registration. */
  center: () => { url: string; embedded: boolean; secret?: string }
  trash: Trash
  /** Renewals between the local save and the center's answer, settled at the next start if the app stops in between. */
  journal?: RenewalJournal
  /** Where a center recorded in the journal answers now (the embedded one moves at every start). */
  centerNow?: CenterNow
  /** PKCS#11 modules from settings, tried before the OS defaults; only these may be loaded. */
  tokenModules?: () => Promise<string[]>
  /**
   * Counts wrong token PINs. Pass the one the storage handlers use (same file) so the wizard
   * and the 보안토큰 tab share one count; otherwise the wizard keeps its own in memory.
   */
  pinGuard?: PinGuard
  /**
   * Which folders are roots: where 하드디스크 saves go by default, which roots a certificate may
   * be saved into (the renderer's choice must be one of them), and where revoked ones are found.
   * Default: the OS's folders (or CERTMGR_NPKI_ROOTS) only.
   */
  roots?: RootPolicy
  /** The enrollments running under an opId, which 'enroll.cancel' stops (only these). */
  ops?: RunningOps
}

/**
 * The wizards' calls: the RA session steps (center-handlers.ts) and the enrollment use-cases
 * (enroll-handlers.ts), sharing one record of sessions and running operations.
 */
export function createWizardHandlers(deps: WizardDeps): Handlers<typeof centerCalls & typeof enrollCalls> {
  const state = new WizardState(deps.ops)
  return {
    ...createCenterHandlers(deps.center, state),
    ...createEnrollHandlers(
      {
        center: deps.center,
        trash: deps.trash,
        ...(deps.journal ? { journal: deps.journal } : {}),
        ...(deps.centerNow ? { centerNow: deps.centerNow } : {}),
        pinGuard: deps.pinGuard ?? new PinGuard(),
        roots: deps.roots ?? new RootPolicy(),
        ...(deps.tokenModules ? { tokenModules: deps.tokenModules } : {}),
      },
      state,
    ),
  }
}
