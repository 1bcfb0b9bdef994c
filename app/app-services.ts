import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { CertError } from '../shared/errors'
import type { HandlerContext } from './handler'
import { contract } from '../shared/contract/index'
import type { AppEvent } from '../shared/contract/progress'
import { startCenter, type RunningCenter, type StartCenterOptions } from '../center/center'
import { createCertsHandlers, scanListing } from './certs/handlers'
import { ScanCache } from './certs/scan-cache'
import { createDispatcher, type Dispatch } from './dispatch'
import { PasswordGuard, passwordCallGuard } from './password-guard'
import { ReminderScheduler } from '../core/reminders/reminders'
import { SettingsStore } from '../core/settings/settings-store'
import { Trash } from '../core/storage/trash'
import { recoverRenewals, RenewalJournal, type CenterNow, type RecoveredRenewal } from '../core/usecases/renewal-journal'
import { PinGuard } from '../core/token/pins'
import { createWizardHandlers } from './wizard/handlers'
import { createKeysHandlers } from './keys/handlers'
import { createPfxHandlers } from './pfx/handlers'
import { RunningOps } from './running-ops'
import { createStorageHandlers } from './storage/handlers'
import { createTransferHandlers } from './transfer/handlers'
import { DriveWatcher } from '../core/drives/index'
import type { DriveVolume } from '../core/drives/types'
import { NpkiWatcher } from '../core/storage/watch'
import { systemRootPolicy } from '../core/roots/root-policy'
import { recoverKeySwapsUnder } from '../core/keys/key-swap'
import { noticeInLanguage, type NotifyReminder } from './reminder-notice'
import { createFilesHandlers, OpenedFiles, type DesktopShell } from './files/handlers'

export interface AppServices {
  dispatch: Dispatch
  /** Every event for the UI goes through here; hosts forward it to their windows. */
  events: EventEmitter<{ event: [AppEvent] }>
  settings: SettingsStore
  /** The certification center in use: the embedded one, or the remote URL from settings. */
  center(): { url: string; embedded: boolean; secret?: string }
  /** The embedded center itself, when it runs (operators' tools and tests reach its RA/CA). */
  embeddedCenter(): RunningCenter | undefined
  /**
   * Renewals left open by the last run (crash, lost answer), settled at start: what was decided
   * per folder; a token's renewal is 'needs-pin' until the token is next opened with its PIN.
   */
  renewalsSettled: Promise<RecoveredRenewal[]>
  /** PFX files the OS asked the app to open (argv, a second instance, macOS open-file). */
  openFiles(paths: readonly string[], cwd?: string): string[]
  close(): Promise<void>
}

export interface AppServicesOptions {
  dataDir: string
  host: 'electron' | 'web'
  version: string
  /** Start the embedded center when no remote one is configured (default true). */
  embeddedCenter?: boolean
  /** System notification for an expiry reminder (Electron); the UI always gets an event too. */
  /** Shows an expiry reminder; `text` is worded in the language of the settings. */
  notify?: NotifyReminder
  setBadge?: (count: number) => void
  /** Run expiry reminders at start and daily (default true). */
  reminders?: boolean
  /** Where mounted drives come from (default: the OS; tests pass their own). */
  driveList?: () => Promise<DriveVolume[]>
  /** Watch NPKI folders and drives and tell the UI when certificates change (default true). */
  watch?: boolean
  /** Overrides for the embedded center (tests: short validity to exercise renewal). */
  centerOptions?: Partial<Omit<StartCenterOptions, 'dataDir'>>
  /** 폴더 열기: shows a folder in the system's file manager (Electron's shell; tests record it). */
  openFolder?: (path: string) => Promise<void>
  /** Counts wrong certificate passwords across all calls (default: a fresh one; tests pass one with their own clock). */
  passwordGuard?: PasswordGuard
  /** Native dialogs and the OS file manager (Electron); without it the renderer uses its own picker. */
  desktop?: DesktopShell
}

/** Calls that never change what a scan of the roots finds; every other call drops the kept scan. */
const READ_ONLY_CALLS: ReadonlySet<string> = new Set([
  'app.info',
  'certs.list',
  'certs.details',
  'settings.get',
  'reminders.list',
  'storage.locations',
  'storage.trashList',
  'storage.inspectDropped',
  'files.takeOpened',
  'files.places',
  'files.browse',
  'token.list',
  'transfer.status',
  'transfer.addresses',
  'center.info',
  'center.outbox',
])

/** Builds every main-process service once; Electron and the browser host both call this. */
export async function createAppServices(opts: AppServicesOptions): Promise<AppServices> {
  const events = new EventEmitter<{ event: [AppEvent] }>()
  const emit = (e: AppEvent) => events.emit('event', e)
  const settings = new SettingsStore(opts.dataDir)
  const remote = (await settings.get()).centerUrl
  let embedded: RunningCenter | undefined
  // Opens the embedded center's outbox and self-registration to this process only, for this run.
  const embeddedSecret = randomBytes(24).toString('hex')
  if (!remote && opts.embeddedCenter !== false) {
    // The embedded center listens on loopback only; its data lives beside the app's settings.
    embedded = await startCenter({ host: '127.0.0.1', port: 0, ...opts.centerOptions, dataDir: join(opts.dataDir, 'center'), embedded: { secret: embeddedSecret } })
  }
  const center = () => (remote ? { url: remote, embedded: false } : { url: embedded?.url ?? '', embedded: true, secret: embeddedSecret })

  // Drives: USB events trigger rescans where the usb module works, with polling as a fallback.
  const drives = new DriveWatcher(opts.driveList ? { list: opts.driveList, usbEvents: null } : {})
  // The one answer to which folders are roots, which take writes and what is followed; every handler gets it.
  const roots = systemRootPolicy({ settings, drives: () => drives.current() })
  // A password change a crash cut short is settled (both keys old or both new) before anything
  // lists, copies or opens the keys (core/keys/key-swap.ts).
  for (const r of await roots.roots()) await recoverKeySwapsUnder(r.path)
  let npkiWatcher: NpkiWatcher | undefined
  await drives.start()
  if (opts.watch !== false) {
    drives.on('change', () => emit({ type: 'certs-changed' }))
    npkiWatcher = new NpkiWatcher({ roots: async () => (await roots.roots()).map((r) => r.path) })
    npkiWatcher.on('certs-changed', () => emit({ type: 'certs-changed' }))
    await npkiWatcher.start()
  }

  // One scan for the window's list and the reminders (which both ask at start), kept while the
  // watchers vouch for it (see scan-cache.ts); without watchers every caller scans.
  const scans = new ScanCache(() => scanListing(roots), { keep: opts.watch !== false })
  drives.on('change', () => scans.invalidate())
  npkiWatcher?.on('activity', () => scans.invalidate())
  npkiWatcher?.on('certs-changed', () => scans.invalidate())
  events.on('event', (e) => {
    if (e.type === 'certs-changed') scans.invalidate()
  })
  const certsHandlers = createCertsHandlers({ settings, version: opts.version, host: opts.host, center, roots, listing: (fresh) => scans.get(fresh) })
  let reminders: ReminderScheduler | undefined
  if (opts.reminders !== false) {
    reminders = new ReminderScheduler(
      opts.dataDir,
      async () => (await certsHandlers['certs.list']({}, { emit })).certs,
      (r) => {
        emit({ type: 'reminder', certId: r.certId, daysLeft: r.daysLeft })
        if (opts.notify) void noticeInLanguage(settings, r, opts.notify)
      },
      opts.setBadge,
    )
    reminders.start()
  }

  const trash = new Trash(opts.dataDir)
  // A renewal the app stopped in the middle of (crash, lost answer) is settled now, by asking
  // the center which certificate it keeps active; in the background, the list does not wait.
  const journal = new RenewalJournal(opts.dataDir)
  const centerNow: CenterNow = (recorded) => {
    const c = center()
    return c.embedded && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(recorded) ? c.url : recorded
  }
  const renewalsSettled = recoverRenewals(journal, trash, centerNow).catch(() => [])
  const opened = new OpenedFiles(emit)
  /** A root the renderer names must be one main knows: the NPKI folders, settings' and drives'. */
  async function requireKnownRoot(root: string): Promise<void> {
    await roots.requireRoot(root).catch(() => {
      throw new CertError('FORBIDDEN', 'that folder is not one of the NPKI folders')
    })
  }
  // Each area keeps its own record of running operations, so a cancel stops only its own kind:
  // 'enroll.cancel' an enrollment, 'pfx.cancel' a PFX import or export (the same opId in both
  // areas names two different operations).
  const enrollOps = new RunningOps()
  // The same failure count as the 보안토큰 tab and the CLI: a PIN locks after 5 wrong tries wherever
  // they were typed. One instance for both areas, so its read-change-write runs one at a time.
  const pinGuard = PinGuard.inDataDir(opts.dataDir)
  const pfxHandlers = createPfxHandlers({ roots, ops: new RunningOps() })
  const transferHandlers = createTransferHandlers({ roots })
  const handlers = {
    ...certsHandlers,
    'reminders.list': async () => ({ reminders: (reminders?.latest ?? []).map((r) => ({ certId: r.certId, daysLeft: r.daysLeft, milestone: r.milestone })) }),
    ...createWizardHandlers({
      center,
      trash,
      journal,
      centerNow,
      pinGuard,
      // Saving is allowed only into roots main knows: the NPKI folders, settings' and the drives'.
      roots,
      ops: enrollOps,
    }),
    ...createKeysHandlers(),
    ...pfxHandlers,
    // The renderer names paths here, so main narrows them: a PFX is imported only into a root
    // main knows (the export's .pfx/.p12 rule is the use-case's, for the CLI too).
    'pfx.import': async (req: Parameters<typeof pfxHandlers['pfx.import']>[0], ctx: HandlerContext) => {
      if (req.root !== undefined) await requireKnownRoot(req.root)
      const r = await pfxHandlers['pfx.import'](req, ctx)
      ctx.emit({ type: 'certs-changed' })
      return r
    },
    ...createStorageHandlers({ dataDir: opts.dataDir, trash, roots, journal, centerNow, pinGuard, ...(opts.openFolder ? { openFolder: opts.openFolder } : {}) }),
    ...createFilesHandlers(
      {
        npkiRoots: async () => (await roots.roots()).map((r) => ({ path: r.path })),
        drives: () => drives.current().map((v) => ({ path: v.mountPoint, label: v.label ?? v.mountPoint })),
        ...(opts.desktop ? { desktop: opts.desktop } : {}),
      },
      opened,
    ),
    ...transferHandlers,
    'transfer.saveReceived': async (req: Parameters<typeof transferHandlers['transfer.saveReceived']>[0], ctx: HandlerContext) => {
      if (req.root !== undefined) await requireKnownRoot(req.root)
      return transferHandlers['transfer.saveReceived'](req, ctx)
    },
  }
  // Every call that takes a certificate password is counted per certificate, whichever handler serves it.
  const dispatchChecked = createDispatcher(contract, handlers as never, { guard: passwordCallGuard(opts.passwordGuard ?? new PasswordGuard()) })
  // A call that may write (anything but the read-only ones) drops the kept scan before and after it runs.
  const dispatch: Dispatch = async (name, payload, ctx) => {
    if (READ_ONLY_CALLS.has(name)) return dispatchChecked(name, payload, ctx)
    scans.invalidate()
    try {
      return await dispatchChecked(name, payload, ctx)
    } finally {
      scans.invalidate()
    }
  }


  return {
    dispatch,
    events,
    settings,
    center,
    embeddedCenter: () => embedded,
    renewalsSettled,
    openFiles: (paths, cwd) => opened.add(paths, cwd),
    async close() {
      reminders?.stop()
      npkiWatcher?.stop()
      drives.stop()
      await embedded?.close()
    },
  }
}
