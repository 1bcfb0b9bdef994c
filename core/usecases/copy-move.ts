import { copyCerts, type BatchCopyResult } from '../storage/batch'
import { copyCert, moveCert, type CopyResult, type KeyOpener } from '../storage/operations'
import type { FsLayer } from '../storage/atomic'
import type { FilePorts } from './ports'

export interface CopyMoveInput {
  /** The certificate folder to copy or move. */
  folder: string
  /** The NPKI root it goes to (`<root>/<CA>/USER/<DN>`), as the caller's root policy chose it. */
  toRoot: string
  /** When given, the key must open with it before anything is written. */
  password?: string
  /** Replace a different certificate already at the destination. */
  overwrite?: boolean
}

export interface StoragePorts extends FilePorts {
  openKey?: KeyOpener
  /** Destination writes (tests inject faults). */
  fs?: FsLayer
  /** Removal of a moved source (tests inject faults). */
  sourceFs?: FsLayer
}

function deps(ports: StoragePorts): Parameters<typeof copyCert>[2] {
  return { ports, ...(ports.openKey ? { openKey: ports.openKey } : {}), ...(ports.fs ? { fs: ports.fs } : {}), ...(ports.sourceFs ? { sourceFs: ports.sourceFs } : {}) }
}

/**
 * 복사: one certificate folder, with its km pair, into an NPKI root in one atomic folder write,
 * for the copy dialog and `certmgr copy` alike. Stages: read, open (with a password), check,
 * write, done; a cancel before 'write' leaves the destination as it was.
 */
export function copyCertificate(input: CopyMoveInput, ports: StoragePorts = {}): Promise<CopyResult> {
  return copyCert(input.folder, { toRoot: input.toRoot, password: input.password, overwrite: input.overwrite === true }, deps(ports))
}

/**
 * 복사 of many folders at once into one NPKI root, for `certmgr copy PATH...`: one durable batch
 * (flushed to disk together, see core/storage/batch.ts), each folder with copyCertificate's
 * rules and its own result. Stages: read (fraction: folders read), check, write (fraction:
 * folders placed), done. A cancel is heard between folders: the folders already placed stay,
 * whole; every other one is left as it was and reported CANCELLED.
 */
export function copyCertificates(input: Omit<CopyMoveInput, 'folder'> & { folders: readonly string[] }, ports: StoragePorts = {}): Promise<BatchCopyResult[]> {
  return copyCerts(input.folders, { toRoot: input.toRoot, password: input.password, overwrite: input.overwrite === true }, deps(ports))
}

/**
 * 이동: copy, read the copy back and compare, then remove the source atomically; for the move
 * dialog and `certmgr move` alike. Stages: read, open, check, write, verify, remove, done. A
 * cancel before 'remove' leaves the source untouched and takes a new copy back out.
 */
export function moveCertificate(input: CopyMoveInput, ports: StoragePorts = {}): Promise<CopyResult> {
  return moveCert(input.folder, { toRoot: input.toRoot, password: input.password, overwrite: input.overwrite === true }, deps(ports))
}
