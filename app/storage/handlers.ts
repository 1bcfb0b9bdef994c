import { realpath, stat } from 'node:fs/promises'
import { isAbsolute, relative } from 'node:path'
import { CertError } from '../../shared/errors'
import type { storageCalls } from '../../shared/contract/storage'
import type { tokenCalls } from '../../shared/contract/token'
import { resolveCertFolder } from '../../core/certs/registry'
import type { RootPolicy } from '../../core/roots/root-policy'
import { openSignKey } from '../../core/formats/signpri'
import type { Handlers } from '../handler'
import { availableModules, deleteFromToken, generateTokenKey, importToToken, listTokenCerts, listTokens, type TokenRef } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { readCertFiles, signCertOf, signKeyOf } from '../../core/storage/folder'
import { driveProvider, listLocations, pcProvider, pfxProvider, tokenProvider } from '../../core/storage/locations'
import { writeCertFiles, type KeyOpener } from '../../core/storage/operations'
import { copyCertificate, moveCertificate } from '../../core/usecases/copy-move'
import { deleteCertificate, restoreCertificate } from '../../core/usecases/trash-folder'
import { describeDropped, readDroppedFolder, type DroppedFolder } from '../../core/storage/dropped-folder'
import { Trash } from '../../core/storage/trash'
import { runFileOp } from '../file-op'
import { RunningOps } from '../running-ops'
import { settleTokenRenewals, type CenterNow, type RenewalJournal } from '../../core/usecases/renewal-journal'

export interface StorageHandlerDeps {
  /** The app's one trash: several instances over the same manifest would race each other. */
  trash?: Trash
  /** The app's data folder: the trash and the PIN counter live there. */
  dataDir: string
  /** Which folders are roots, which take writes, and the mounted drives. */
  roots: RootPolicy
  /** Shows a folder in the system's file manager (Electron's shell); absent where there is none. */
  openFolder?: (path: string) => Promise<void>
  /** PKCS#11 modules from settings, tried before the OS defaults. */
  tokenModules?: () => Promise<string[]>
  /** Folders to offer PFX files from. */
  pfxDirs?: () => Promise<string[]>
  openKey?: KeyOpener
  /** The copies, moves, deletes and restores running under an opId, which 'storage.cancel' stops (only these). */
  ops?: RunningOps
  /** The app's one wrong-PIN counter, shared with the wizards (one instance: one read-change-write at a time). */
  pinGuard?: PinGuard
  /** Renewals on tokens a crash left open: settled when the user opens that token with its PIN. */
  journal?: RenewalJournal
  centerNow?: CenterNow
}

export function createStorageHandlers(deps: StorageHandlerDeps): Handlers<typeof storageCalls & typeof tokenCalls> {
  const trash = deps.trash ?? new Trash(deps.dataDir)
  const ops = deps.ops ?? new RunningOps()
  const guard = deps.pinGuard ?? PinGuard.inDataDir(deps.dataDir)
  const modules = async (): Promise<string[]> => availableModules((await deps.tokenModules?.()) ?? [])

  // Targets come from lists main built itself: the renderer picks one, it never supplies a path.
  async function targetRoot(req: { toRoot?: string; toDrive?: string }): Promise<string> {
    if (req.toRoot !== undefined) {
      const root = await deps.roots.requireRoot(req.toRoot, ['pc']).catch(() => {
        throw new CertError('FORBIDDEN', 'the destination is not one of the certificate folders')
      })
      return root.path
    }
    const f = (await deps.roots.driveFolders()).find((x) => x.drive.id === req.toDrive)
    if (!f) throw new CertError('NOT_FOUND', 'the drive is no longer attached')
    if (f.drive.readOnly) throw new CertError('IO', 'the destination medium is read-only', { reason: 'read-only', side: 'destination' })
    const root = f.root
    // The drive's NPKI folder is a link off the drive (or to a folder listed as the PC's): not followed.
    if (!root) throw new CertError('FORBIDDEN', "the drive's NPKI folder is a link to another place, so nothing is written through it", { reason: 'link' })
    return root.path
  }

  async function tokenRef(req: { module?: string; slot: string }): Promise<TokenRef> {
    const allowed = await modules()
    if (req.module !== undefined) {
      // Loading a library runs its code: only modules from the configured or default list.
      if (!allowed.includes(req.module)) throw new CertError('FORBIDDEN', 'this PKCS#11 module is not in the configured list')
      return { module: req.module, slot: req.slot.toLowerCase() }
    }
    const hit = (await listTokens(allowed)).find((t) => t.slot === req.slot.toLowerCase())
    if (!hit) throw new CertError('TOKEN', 'the security token was not found (was it removed?)', { reason: 'token-removed' })
    return { module: hit.module, slot: hit.slot }
  }

  const openKey = deps.openKey ?? openSignKey

  function dropped(source: { path: string } | { files: { name: string; dataBase64: string }[] }): DroppedFolder {
    if ('path' in source) return { path: source.path }
    return { files: source.files.map((f) => ({ name: f.name, data: new Uint8Array(Buffer.from(f.dataBase64, 'base64')) })) }
  }

  return {
    'storage.locations': async () => {
      const providers = [pcProvider(deps.roots), driveProvider(deps.roots), tokenProvider({ modules })]
      if (deps.pfxDirs) providers.push(pfxProvider({ dirs: deps.pfxDirs }))
      const locations = await listLocations(providers)
      // A token renewal a crash left open is settled only with the PIN: the tab says so beside that token.
      const open = (await deps.journal?.tokenEntries()) ?? []
      for (const l of locations) {
        if (l.token && open.some((e) => e.token.serial === l.token!.serial && e.token.label === l.token!.label)) l.token.renewalPending = true
      }
      return { locations }
    },
    'storage.copy': async (req, ctx) => {
      const input = { folder: resolveCertFolder(req.certId), toRoot: await targetRoot(req), password: req.password, overwrite: req.overwrite }
      const res = await runFileOp(ops, req.opId, ctx, 'copy', (ports) => copyCertificate(input, { ...ports, openKey }))
      if (res.outcome !== 'identical') ctx.emit({ type: 'certs-changed' })
      return res
    },
    'storage.inspectDropped': async ({ source }) => describeDropped(await readDroppedFolder(dropped(source))),
    'storage.copyDropped': async (req, ctx) => {
      const files = await readDroppedFolder(dropped(req.source))
      // The same write as a copy and the transfer receiver: one atomic folder write under the root.
      const res = await writeCertFiles(files, { toRoot: await targetRoot(req), overwrite: req.overwrite })
      if (res.outcome !== 'identical') ctx.emit({ type: 'certs-changed' })
      return res
    },
    'storage.move': async (req, ctx) => {
      const input = { folder: resolveCertFolder(req.certId), toRoot: await targetRoot(req), password: req.password, overwrite: req.overwrite }
      const res = await runFileOp(ops, req.opId, ctx, 'move', (ports) => moveCertificate(input, { ...ports, openKey }))
      ctx.emit({ type: 'certs-changed' })
      return res
    },
    'storage.delete': async ({ opId, certId }, ctx) => {
      const folder = resolveCertFolder(certId)
      const e = await runFileOp(ops, opId, ctx, 'delete', (ports) => deleteCertificate({ folder }, { ...ports, trash }))
      ctx.emit({ type: 'certs-changed' })
      return { trashId: e.id, expiresAt: e.expiresAt }
    },
    'storage.openFolder': async (req) => {
      // Only a folder inside a root main knows: the renderer cannot point the file manager anywhere else.
      const real = await realpath(req.path).catch(() => {
        throw new CertError('NOT_FOUND', 'the folder does not exist', { reason: 'not-cert-folder' })
      })
      if (!(await stat(real)).isDirectory()) throw new CertError('BAD_REQUEST', 'not a folder')
      const roots = await Promise.all((await deps.roots.roots()).map((r) => realpath(r.path).catch(() => r.path)))
      const inside = roots.some((r) => {
        const rel = relative(r, real)
        return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
      })
      if (!inside) throw new CertError('FORBIDDEN', 'only a folder inside a certificate root can be opened', { reason: 'outside-root' })
      if (!deps.openFolder) return { opened: false }
      await deps.openFolder(real)
      return { opened: true }
    },
    'storage.trashList': async () => {
      await trash.purgeExpired().catch(() => undefined)
      return { entries: await trash.list() }
    },
    'storage.trashRestore': async ({ opId, trashId, overwrite }, ctx) => {
      const r = await runFileOp(ops, opId, ctx, 'restore', (ports) => restoreCertificate({ trashId, ...(overwrite !== undefined ? { overwrite } : {}) }, { ...ports, trash }))
      ctx.emit({ type: 'certs-changed' })
      return r
    },
    'storage.cancel': async ({ opId }) => ({ cancelled: ops.cancel(opId) }),
    'token.list': async (req) => {
      const ref = await tokenRef(req)
      // Opening the token with its PIN is when a renewal a crash left open on it can be settled,
      // so the list shows the one key pair the center keeps (an unanswered one stays for later).
      // A refusal of the token itself (wrong PIN, locked, removed) is the list's answer too: a
      // second login would count one wrong PIN twice, here and on a hardware token's own counter.
      if (deps.journal) {
        await settleTokenRenewals(deps.journal, ref, req.pin, { guard }, deps.centerNow).catch((err: unknown) => {
          if (err instanceof CertError && err.code === 'TOKEN') throw err
          return []
        })
      }
      return { certs: await listTokenCerts(ref, req.pin, { guard }) }
    },
    'token.import': async (req) => {
      const files = await readCertFiles(resolveCertFolder(req.certId))
      const certDer = signCertOf(files)
      const opened = openSignKey(certDer, signKeyOf(files), req.password)
      try {
        return await importToToken(await tokenRef(req), req.pin, { certDer, pkcs8: opened.pkcs8 }, { guard })
      } finally {
        opened.pkcs8.fill(0)
      }
    },
    'token.delete': async (req) => deleteFromToken(await tokenRef(req), req.pin, req.idHex.toLowerCase(), { guard }),
    'token.keygen': async (req) => {
      const k = await generateTokenKey(await tokenRef(req), req.pin, { label: req.label }, { guard })
      return { idHex: k.idHex, spkiDerBase64: Buffer.from(k.spkiDer).toString('base64') }
    },
  }
}
