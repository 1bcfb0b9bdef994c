import { z } from 'zod'
import { LocationKind } from './certs'
import { call, Empty, OpId } from './define'

const Id = z.string().min(1).max(128)
const Password = z.string().min(1).max(256)

export const DriveKind = z.enum(['usb-stick', 'usb-disk', 'card-reader', 'optical', 'other'])

export const DriveInfo = z.object({
  id: z.string(),
  mountPoint: z.string(),
  label: z.string().optional(),
  fsType: z.string().optional(),
  sizeBytes: z.number().optional(),
  readOnly: z.boolean(),
  kind: DriveKind,
  bus: z.string().optional(),
  model: z.string().optional(),
  vendor: z.string().optional(),
})
export type DriveInfo = z.infer<typeof DriveInfo>

export const TokenSlotInfo = z.object({
  module: z.string(),
  slot: z.string(),
  label: z.string(),
  serial: z.string(),
  manufacturer: z.string(),
  model: z.string(),
  pinLocked: z.boolean(),
  /** A renewal on this token was cut short (crash): it is finished once the token is opened with its PIN. */
  renewalPending: z.boolean().optional(),
})

/** A place certificates live or can go: a PC root, a drive, a security token, a PFX file. */
export const StorageLocation = z.object({
  id: z.string(),
  kind: LocationKind,
  label: z.string(),
  /** The NPKI root (pc, usb) or file (file); absent for tokens. */
  path: z.string().optional(),
  exists: z.boolean(),
  writable: z.boolean(),
  drive: DriveInfo.optional(),
  token: TokenSlotInfo.optional(),
})
export type StorageLocation = z.infer<typeof StorageLocation>

/** Where a copy or move goes: one of the listed PC roots, or a listed drive (its `NPKI` folder). */
const Target = z
  .object({
    opId: OpId,
    certId: Id,
    password: Password,
    toRoot: z.string().min(1).max(4096).optional(),
    toDrive: z.string().min(1).max(512).optional(),
    overwrite: z.boolean().optional(),
  })
  .strict()
  .refine((r) => (r.toRoot === undefined) !== (r.toDrive === undefined), { message: 'give exactly one of toRoot and toDrive' })

export const CopyResult = z.object({ path: z.string(), outcome: z.enum(['copied', 'replaced', 'identical']) })

export const TrashEntry = z.object({
  id: z.string(),
  originalPath: z.string(),
  deletedAt: z.string(),
  expiresAt: z.string(),
  owner: z.string().optional(),
  subjectDn: z.string().optional(),
  serialHex: z.string().optional(),
  notAfter: z.string().optional(),
  files: z.array(z.string()),
})
export type TrashEntry = z.infer<typeof TrashEntry>

/**
 * A certificate folder dropped on the window: its path (Electron's preload names it) or, in the
 * browser host, its files' bytes (the key stays encrypted under its password). Main checks either.
 */
const DroppedFile = z.object({ name: z.string().min(1).max(255), dataBase64: z.string().max(1_500_000).regex(/^[A-Za-z0-9+/]*={0,2}$/) }).strict()
const DroppedSource = z.union([z.object({ path: z.string().min(1).max(4096) }).strict(), z.object({ files: z.array(DroppedFile).min(1).max(8) }).strict()])
const DropTarget = z
  .object({ source: DroppedSource, toRoot: z.string().min(1).max(4096).optional(), toDrive: z.string().min(1).max(512).optional(), overwrite: z.boolean().optional() })
  .strict()
  .refine((r) => (r.toRoot === undefined) !== (r.toDrive === undefined), { message: 'give exactly one of toRoot and toDrive' })

export const storageCalls = {
  // What the copy dialog of a dropped certificate folder shows; refuses what is no certificate folder.
  'storage.inspectDropped': call(z.object({ source: DroppedSource }).strict(), z.object({ owner: z.string(), issuer: z.string(), notAfter: z.string() })),
  // Stores a dropped certificate folder under a listed root, atomically (the copy's write path).
  'storage.copyDropped': call(DropTarget, CopyResult),
  'storage.locations': call(Empty, z.object({ locations: z.array(StorageLocation) })),
  // With an opId, copy, move, delete and restore report their stages (the use-case's stage
  // names, fraction of the stages passed) and 'storage.cancel' stops one before its write.
  'storage.copy': call(Target, CopyResult, { progress: true }),
  // Copy, read back and compare, then remove the source.
  'storage.move': call(Target, CopyResult, { progress: true }),
  // Moves the folder to the app's trash for 30 days.
  'storage.delete': call(z.object({ opId: OpId, certId: Id }).strict(), z.object({ trashId: z.string(), expiresAt: z.string() }), { progress: true }),
  /**
   * 폴더 열기: shows a certificate folder in the system's file manager. Only a folder inside a
   * root main knows; `opened` is false where the host cannot open one (no file manager).
   */
  'storage.openFolder': call(z.object({ path: z.string().min(1).max(4096) }).strict(), z.object({ opened: z.boolean() })),
  'storage.trashList': call(Empty, z.object({ entries: z.array(TrashEntry) })),
  'storage.trashRestore': call(
    z.object({ opId: OpId, trashId: z.string().regex(/^[0-9a-f]{16}$/), overwrite: z.boolean().optional() }).strict(),
    z.object({ path: z.string() }),
    { progress: true },
  ),
  /** Stops the copy, move, delete or restore running under opId; only those (each area has its own cancel). */
  'storage.cancel': call(z.object({ opId: z.string().min(1).max(64) }).strict(), z.object({ cancelled: z.boolean() })),
}
