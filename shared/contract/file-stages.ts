/**
 * The stages a file use-case (PFX import and export, copy, move, delete, restore, password
 * change) reports, each just before its work starts: checking the request, reading the source,
 * opening the key, the PFX's key derivation, encrypting a key file, reading a result back,
 * writing it in place, removing a moved source or putting a folder in the trash.
 */
export type FileStage = 'check' | 'read' | 'open' | 'derive' | 'encrypt' | 'verify' | 'write' | 'remove' | 'trash' | 'restore' | 'done'

/**
 * The one table of the file operations' stages: the order each use-case (core/usecases)
 * reports them in, which main turns into progress fractions (app/file-op.ts), and the stage
 * from which it completes whatever is asked, at which the panels stop offering 취소
 * (renderer/src/progress/use-op-progress.ts). A move heard at 'verify' may still take its copy
 * back, but not when the copy replaced another certificate, so its panel stops at the write too.
 */
export const FILE_OPS = {
  pfxExport: { stages: ['check', 'open', 'derive', 'verify', 'write', 'done'], completesFrom: 'write' },
  pfxImport: { stages: ['check', 'read', 'derive', 'encrypt', 'write', 'done'], completesFrom: 'write' },
  copy: { stages: ['read', 'open', 'check', 'write', 'done'], completesFrom: 'write' },
  move: { stages: ['read', 'open', 'check', 'write', 'verify', 'remove', 'done'], completesFrom: 'write' },
  delete: { stages: ['check', 'trash', 'done'], completesFrom: 'trash' },
  restore: { stages: ['restore', 'done'], completesFrom: 'restore' },
  changePassword: { stages: ['check', 'open', 'encrypt', 'write', 'done'], completesFrom: 'write' },
} as const satisfies Record<string, { stages: readonly FileStage[]; completesFrom: FileStage }>
export type FileOp = keyof typeof FILE_OPS

/**
 * Whether a cancel can still change anything once main reported `stage` ('' before the first
 * report): only before the operation's completion stage.
 */
export function cancellableAt(op: FileOp, stage: string): boolean {
  const { stages, completesFrom } = FILE_OPS[op]
  const at = (stages as readonly string[]).indexOf(stage)
  return at < (stages as readonly string[]).indexOf(completesFrom)
}

/**
 * The fraction a PFX export reports when it starts writing the file (app/pfx/handlers.ts): from
 * there it completes whatever is asked, so the export screen stops offering 취소 at it.
 */
export const PFX_EXPORT_WRITE_FRACTION = 0.95
