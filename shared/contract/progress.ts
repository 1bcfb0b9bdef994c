import { z } from 'zod'

/** Progress of a long operation (key generation, PBKDF, CMP round trips, transfer). */
export const ProgressEvent = z.object({
  opId: z.string(),
  /** A stable stage key the UI translates, e.g. 'keygen', 'request', 'confirm', 'save'. */
  stage: z.string(),
  /** 0..1 when known. */
  fraction: z.number().min(0).max(1).optional(),
})
export type ProgressEvent = z.infer<typeof ProgressEvent>

// The file operations' stage table lives in a module of its own without zod, so the renderer
// can read it without loading zod (which probes for eval at load, a CSP violation in the page).
export { FILE_OPS, PFX_EXPORT_WRITE_FRACTION, cancellableAt, type FileOp, type FileStage } from './file-stages'

/** Events pushed from main to the renderer (no secrets ever). */
export const AppEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), progress: ProgressEvent }),
  z.object({ type: z.literal('certs-changed') }),
  z.object({ type: z.literal('transfer'), sessionId: z.string(), state: z.string(), detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() }),
  // `open`: the user clicked the system notification; the UI goes to 갱신 for that certificate.
  z.object({ type: z.literal('reminder'), certId: z.string(), daysLeft: z.number(), open: z.boolean().optional() }),
  // The OS asked the app to open PFX files (a second start, macOS open-file): the UI goes to
  // the import view and fetches them with 'files.takeOpened'.
  z.object({ type: z.literal('files-opened') }),
])
export type AppEvent = z.infer<typeof AppEvent>
