import type { Trash, TrashEntry } from '../storage/trash'
import { enterStage, type FilePorts } from './ports'

export interface TrashPorts extends FilePorts {
  /** The one trash of this data folder (several instances over one manifest would race). */
  trash: Trash
}

/**
 * 삭제: a certificate folder goes to the trash (restorable for 30 days), never removed outright;
 * for the list's delete and `certmgr delete` alike. Expired entries are purged first. The
 * trash copies the folder and its manifest line before the original is removed, and never
 * goes through a link. Stages: check (the purge), trash, done; a cancel before 'trash'
 * leaves the folder where it was.
 */
export async function deleteCertificate(input: { folder: string }, ports: TrashPorts): Promise<TrashEntry> {
  enterStage(ports, 'check', 0)
  await ports.trash.purgeExpired().catch(() => undefined)
  enterStage(ports, 'trash', 0)
  const entry = await ports.trash.put(input.folder)
  ports.progress?.('done', 1)
  return entry
}

/**
 * 복원: a trashed folder goes back where it was (CONFLICT when a different certificate now sits
 * there, unless overwrite); for the trash panel and `certmgr trash restore` alike. Stages:
 * restore, done; a cancel before 'restore' leaves the entry in the trash.
 */
export async function restoreCertificate(input: { trashId: string; overwrite?: boolean }, ports: TrashPorts): Promise<{ path: string }> {
  enterStage(ports, 'restore', 0)
  const r = await ports.trash.restore(input.trashId, { overwrite: input.overwrite === true })
  ports.progress?.('done', 1)
  return r
}
