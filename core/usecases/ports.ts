import type { KeyObject } from 'node:crypto'
import type { CmpSettings, EnrollStage } from '../enroll/cmp-client'
import type { Trash } from '../storage/trash'

/**
 * The ports every enrollment use-case takes. The wizard handlers and the `certmgr` commands
 * differ only in how they fill these in (RA session or files, progress events or nothing), so
 * the guarantees (stored before certConf, a failed store rejected, the replaced certificate in
 * the trash) live once, in the use-cases.
 */

/** The stages a use-case reports, in the order the app works: the key, the request, the local store, the confirmation. */
export type UseCaseStage = 'keygen' | 'request' | 'save' | 'confirm' | 'done'
export type UseCaseProgress = (stage: UseCaseStage, fraction: number) => void

/** The certification center as the CMP client reaches it. */
export type CenterClient = Omit<CmpSettings, 'signal' | 'onProgress' | 'beforeConfirm'> & { url: string }

/** The one-time reference number and authorization code (from the RA, or files on the command line). */
export interface EnrollCodes {
  reference: string
  authCode: string
  /** What the center will charge, when the RA said so. */
  feeKrw?: number
}

export type KeyPair = { privateKey: KeyObject; publicKey: KeyObject }

export interface EnrollPorts {
  center: CenterClient
  trash: Trash
  progress?: UseCaseProgress
  signal?: AbortSignal
  /** A fresh RSA key pair; tests against a mock CA with a fixed certificate pass the key that certificate was made for. */
  generateKey?: () => Promise<KeyPair>
}

/** The CMP client's stages as a use-case reports them: 'waiting' is part of the request; the client's 'done' is not the use-case's. */
export function cmpStage(progress: UseCaseProgress | undefined): (stage: EnrollStage) => void {
  return (stage) => {
    if (stage === 'request' || stage === 'waiting') progress?.('request', 0.5)
    else if (stage === 'confirm') progress?.('confirm', 0.7)
  }
}

// The file use-cases' stage and cancel primitives live below the use-cases (the storage, key and
// PFX modules report stages too); the use-cases and their callers keep reaching them here.
export { cancelledError, enterStage } from '../progress/file-stages'
export type { FilePorts, FileProgress, FileStage } from '../progress/file-stages'
