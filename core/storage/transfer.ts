import { CertError } from '../../shared/errors'
import type { PfxProfile } from '../formats/pfx'
import { openSignKey } from '../formats/signpri'
import { exportPfx, importPfx } from '../pfx/operations'
import { importToToken, refuseKeyExport, type TokenRef } from '../token/pkcs11'
import type { PinGuard } from '../token/pins'
import { readCertFiles, signCertOf, signKeyOf } from './folder'
import { copyCert, exportCert, moveCert, type StorageDeps } from './operations'

/** One end of a transfer. Folders and roots live on the PC or on a drive alike. */
export type Endpoint =
  | { kind: 'folder'; path: string }
  | { kind: 'root'; path: string }
  | { kind: 'dir'; path: string }
  | { kind: 'token'; ref: TokenRef; pin: string; guard?: PinGuard }
  | { kind: 'pfx'; path: string; profile?: PfxProfile }

export interface TransferOptions {
  /** The certificate password (for a PFX source: the PFX password). */
  password?: string
  /** A different password for what is written (new PFX, or the key imported from a PFX). */
  newPassword?: string
  overwrite?: boolean
  /** Remove the source once the copy is verified (folder → root only). */
  move?: boolean
}

export interface TransferResult {
  path?: string
  idHex?: string
  outcome: string
}

function need(v: string | undefined, what: string): string {
  if (v === undefined || v === '') throw new CertError('BAD_REQUEST', `${what} is required for this transfer`)
  return v
}

/**
 * Copies (or moves) a certificate between any two kinds of location: a certificate folder into
 * an NPKI root, any folder, a security token or a PFX file; a PFX into a root. A token is never
 * a source: its private keys do not leave it.
 */
export async function transfer(from: Endpoint, to: Endpoint, opts: TransferOptions = {}, deps: StorageDeps = {}): Promise<TransferResult> {
  if (from.kind === 'token') refuseKeyExport()
  if (opts.move && !(from.kind === 'folder' && to.kind === 'root')) throw new CertError('BAD_REQUEST', 'only a certificate folder can be moved, and only into a certificate root')
  if (from.kind === 'folder') {
    switch (to.kind) {
      case 'root': {
        const o = { toRoot: to.path, password: opts.password, overwrite: opts.overwrite }
        return opts.move ? moveCert(from.path, o, deps) : copyCert(from.path, o, deps)
      }
      case 'dir':
        return exportCert(from.path, to.path, { password: opts.password, overwrite: opts.overwrite }, deps)
      case 'token': {
        const files = await readCertFiles(from.path)
        const certDer = signCertOf(files)
        const opened = openSignKey(certDer, signKeyOf(files), need(opts.password, 'the certificate password'))
        try {
          return await importToToken(to.ref, to.pin, { certDer, pkcs8: opened.pkcs8 }, { guard: to.guard })
        } finally {
          opened.pkcs8.fill(0)
        }
      }
      case 'pfx': {
        const r = await exportPfx(from.path, need(opts.password, 'the certificate password'), to.path, { profile: to.profile ?? 'compatible', pfxPassword: opts.newPassword, fs: deps.fs })
        return { path: r.path, outcome: 'exported' }
      }
      default:
        throw new CertError('BAD_REQUEST', 'a certificate folder cannot be copied onto another certificate folder: pick its root')
    }
  }
  if (from.kind === 'pfx') {
    if (to.kind !== 'root') throw new CertError('BAD_REQUEST', 'a PFX file can be imported into a certificate root')
    const r = await importPfx(from.path, need(opts.password, 'the PFX password'), to.path, { keyPassword: opts.newPassword, replace: opts.overwrite, fs: deps.fs })
    return { path: r.folder, outcome: r.outcome }
  }
  throw new CertError('BAD_REQUEST', 'the source must be a certificate folder or a PFX file')
}
