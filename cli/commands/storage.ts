import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CertError } from '../../shared/errors'
import { openSignKey } from '../../core/formats/signpri'
import { defaultDataDir } from '../../core/settings/paths'
import { readCertFiles, signCertOf, signKeyOf } from '../../core/storage/folder'
import type { CopyResult } from '../../core/storage/operations'
import { Trash } from '../../core/storage/trash'
import { copyCertificate, copyCertificates, moveCertificate } from '../../core/usecases/copy-move'
import { deleteCertificate, restoreCertificate } from '../../core/usecases/trash-folder'
import { withFilePorts } from '../file-ports'
import { availableModules, deleteFromToken, generateTokenKey, importToToken, listTokenCerts, listTokens, type TokenRef } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { UsageError, optionalString, requirePositional, requireString, type CliIO, type Command, type ParsedArgs } from '../command'

function json(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2))
}

function dataDir(args: ParsedArgs): string {
  return resolve(optionalString(args, 'data') ?? defaultDataDir())
}

function describeCopy(verb: string, r: CopyResult): string {
  if (r.outcome === 'identical') return `already there (identical): ${r.path}`
  return `${verb}${r.outcome === 'replaced' ? ' (replaced the certificate there)' : ''}: ${r.path}`
}

async function optionalSecret(args: ParsedArgs, io: CliIO, name: string): Promise<string | undefined> {
  const f = optionalString(args, name)
  return f === undefined ? undefined : io.readSecret(f)
}

function tokenRef(args: ParsedArgs): TokenRef {
  const module = optionalString(args, 'module') ?? availableModules()[0]
  if (!module) throw new UsageError('no PKCS#11 module found: give --module')
  const label = optionalString(args, 'token')
  const slot = optionalString(args, 'slot')
  return { module: resolve(module), label, slot }
}

/** A wrong PIN is a failed check (exit 1), like a wrong password. */
async function tokenRun(name: string, io: CliIO, fn: () => Promise<void>): Promise<number> {
  try {
    await fn()
    return 0
  } catch (err) {
    if (err instanceof CertError && err.code === 'TOKEN' && err.params?.reason === 'pin-incorrect') {
      const left = err.params.attemptsLeft
      io.err(`certmgr ${name}: ${err.message}${typeof left === 'number' ? ` (${left} attempts left before this app stops trying)` : ''}`)
      return 1
    }
    throw err
  }
}

const tokenOptions = {
  module: { type: 'string' as const },
  token: { type: 'string' as const },
  slot: { type: 'string' as const },
  'pin-file': { type: 'string' as const },
  data: { type: 'string' as const },
}

const guardFor = (args: ParsedArgs): PinGuard => PinGuard.inDataDir(dataDir(args))

/** Drives, copy/move/delete between NPKI roots, the trash, and security tokens. */
export const storageCommands: Command[] = [
  {
    name: 'drives',
    usage: 'drives [--json]',
    summary: 'List mounted removable drives (USB sticks and disks, card readers) and their NPKI folders',
    options: { json: { type: 'boolean' } },
    async run(args, io, ctx) {
      // The root policy's answer, as the app shows it: a drive whose NPKI folder leaves the drive is not followed.
      const rows = (await ctx.roots.driveFolders()).map((f) => ({ ...f.drive, npkiRoot: f.path, hasNpki: f.hasNpki, followed: f.root !== undefined }))
      if (args.values.json) json(io, rows)
      else if (rows.length === 0) io.out('no removable drives found')
      else for (const r of rows) io.out(`${r.mountPoint}\t${r.kind}${r.readOnly ? ' (read-only)' : ''}\t${r.label ?? ''}\t${!r.followed ? `${r.npkiRoot} (not followed: it leads off the drive)` : r.hasNpki ? r.npkiRoot : 'no NPKI folder yet'}`)
      return 0
    },
  },
  {
    name: 'copy',
    usage: 'copy PATH... --to-root DIR [--password-file F] [--overwrite]',
    summary:
      'Copy certificate folders (with their km pairs) into an NPKI root as <root>/<CA>/USER/<DN>; with several PATHs, one line per folder and a non-zero exit if any failed',
    options: { 'to-root': { type: 'string' }, 'password-file': { type: 'string' }, overwrite: { type: 'boolean' } },
    async run(args, io, ctx) {
      const src = resolve(requirePositional(args, 0, 'PATH'))
      const toRoot = ctx.roots.given(requireString(args, 'to-root')).path
      const password = await optionalSecret(args, io, 'password-file')
      const opts = { toRoot, password, overwrite: args.values.overwrite === true }
      if (args.positionals.length === 1) {
        io.out(describeCopy('copied', await withFilePorts(io, 'copy', (ports) => copyCertificate({ folder: src, ...opts }, ports))))
        return 0
      }
      // Many folders: one batch (flushed to disk together), each folder reported on its own
      // line; progress and Ctrl-C as for one folder, the cancel heard between folders.
      let exit = 0
      const results = await withFilePorts(io, 'copy', (ports) => copyCertificates({ folders: args.positionals.map((p) => resolve(p)), ...opts }, ports))
      const cancelled = results.filter((r) => r.outcome === 'failed' && r.error.code === 'CANCELLED').length
      for (const r of results) {
        if (r.outcome !== 'failed') {
          io.out(describeCopy('copied', r))
          continue
        }
        if (r.error.code === 'CANCELLED') continue
        io.err(`certmgr copy: ${r.source}: ${r.error.message}`)
        // As for a single folder: a failed check is 1, anything else 2 (and 2 wins over 1).
        exit = Math.max(exit, r.error.code === 'WRONG_PASSWORD' || r.error.code === 'KEY_MISMATCH' ? 1 : 2)
      }
      if (cancelled > 0) {
        // Only whole folders were placed: say how many, and that the rest were left as they were.
        const placed = results.filter((r) => r.outcome === 'copied' || r.outcome === 'replaced').length
        io.err(`certmgr copy: the operation was cancelled: ${placed} of ${results.length} folders copied, the other ${cancelled} left as they were`)
        return 2
      }
      return exit
    },
  },
  {
    name: 'move',
    usage: 'move PATH --to-root DIR [--password-file F] [--overwrite]',
    summary: 'Move a certificate folder: copy, verify the copy, then remove the original',
    options: { 'to-root': { type: 'string' }, 'password-file': { type: 'string' }, overwrite: { type: 'boolean' } },
    async run(args, io, ctx) {
      const src = resolve(requirePositional(args, 0, 'PATH'))
      const toRoot = ctx.roots.given(requireString(args, 'to-root')).path
      const password = await optionalSecret(args, io, 'password-file')
      const input = { folder: src, toRoot, password, overwrite: args.values.overwrite === true }
      io.out(describeCopy('moved', await withFilePorts(io, 'move', (ports) => moveCertificate(input, ports))))
      return 0
    },
  },
  {
    name: 'delete',
    usage: 'delete PATH [--data DIR]',
    summary: 'Move a certificate folder to the trash (kept 30 days; see trash list / trash restore)',
    options: { data: { type: 'string' } },
    async run(args, io) {
      const trash = new Trash(dataDir(args))
      const folder = resolve(requirePositional(args, 0, 'PATH'))
      const e = await withFilePorts(io, 'delete', (ports) => deleteCertificate({ folder }, { ...ports, trash }))
      io.out(`moved to the trash as ${e.id} (kept until ${e.expiresAt.slice(0, 10)})`)
      return 0
    },
  },
  {
    name: 'trash list',
    usage: 'trash list [--json] [--data DIR]',
    summary: 'List deleted certificates that can still be restored',
    options: { json: { type: 'boolean' }, data: { type: 'string' } },
    async run(args, io) {
      const trash = new Trash(dataDir(args))
      await trash.purgeExpired().catch(() => undefined)
      const entries = await trash.list()
      if (args.values.json) json(io, entries)
      else if (entries.length === 0) io.out('the trash is empty')
      else for (const e of entries) io.out(`${e.id}\t${e.deletedAt.slice(0, 10)}\t${e.owner ?? '?'}\t${e.originalPath}`)
      return 0
    },
  },
  {
    name: 'trash restore',
    usage: 'trash restore ID [--overwrite] [--data DIR]',
    summary: 'Put a deleted certificate back where it was',
    options: { overwrite: { type: 'boolean' }, data: { type: 'string' } },
    async run(args, io) {
      const id = requirePositional(args, 0, 'ID')
      if (!/^[0-9a-f]{16}$/.test(id)) throw new UsageError('ID is the 16-character id shown by trash list')
      const trash = new Trash(dataDir(args))
      const r = await withFilePorts(io, 'trash restore', (ports) => restoreCertificate({ trashId: id, overwrite: args.values.overwrite === true }, { ...ports, trash }))
      io.out(`restored: ${r.path}`)
      return 0
    },
  },
  {
    name: 'token slots',
    usage: 'token slots [--module M] [--json]',
    summary: 'List security tokens (PKCS#11) in the given or default modules',
    options: { module: { type: 'string' }, json: { type: 'boolean' } },
    async run(args, io) {
      const m = optionalString(args, 'module')
      const tokens = await listTokens(m ? [resolve(m)] : availableModules())
      if (args.values.json) json(io, tokens)
      else if (tokens.length === 0) io.out('no security tokens found')
      else for (const t of tokens) io.out(`${t.label}\tslot ${t.slot}\t${t.manufacturer} ${t.model}\t${t.pinLocked ? 'PIN locked' : ''}\t${t.module}`)
      return 0
    },
  },
  {
    name: 'token unlock',
    usage: 'token unlock --module M --token LABEL [--data DIR]',
    summary: "Clear this app's count of wrong PINs for a token (after its PIN was reset with the SO PIN)",
    options: { module: { type: 'string' }, token: { type: 'string' }, slot: { type: 'string' }, data: { type: 'string' } },
    async run(args, io) {
      const ref = tokenRef(args)
      const t = (await listTokens([ref.module])).find((x) => (ref.slot ? x.slot === ref.slot.toLowerCase() : ref.label === undefined || x.label === ref.label))
      if (!t) throw new CertError('TOKEN', 'the security token was not found (was it removed?)', { reason: 'token-removed' })
      await guardFor(args).reset(`${ref.module}#${t.serial || t.slot}`)
      io.out(`cleared the wrong-PIN count for ${t.label}`)
      return 0
    },
  },
  {
    name: 'token list',
    usage: 'token list --module M --token LABEL --pin-file F [--json]',
    summary: 'List the certificates on a token: serial, owner, and whether the private key is on the token',
    options: { ...tokenOptions, json: { type: 'boolean' } },
    async run(args, io) {
      const ref = tokenRef(args)
      const pin = await io.readSecret(requireString(args, 'pin-file'))
      return tokenRun('token list', io, async () => {
        // Opening a token with its PIN settles a renewal a crash left open on it (as the app's 보안토큰 tab does).
        // Loaded here only: the other storage commands do not pay for the CRL check and CMP code.
        const [{ settleTokenAndReport }, { RenewalJournal }] = await Promise.all([import('./pending-renewals'), import('../../core/usecases/renewal-journal')])
        await settleTokenAndReport(new RenewalJournal(dataDir(args)), ref, pin, { guard: guardFor(args) }, io)
        const certs = await listTokenCerts(ref, pin, { guard: guardFor(args) })
        if (args.values.json) json(io, certs)
        else if (certs.length === 0) io.out('no certificates on the token')
        else for (const c of certs) io.out(`${c.idHex}\t${c.serialHex}\t${c.owner}\t${c.hasPrivateKey ? 'key on token' : 'no key'}`)
      })
    },
  },
  {
    name: 'token import',
    usage: 'token import PATH --password-file P --module M --token LABEL --pin-file F',
    summary: 'Put a certificate and its private key on a token (the key becomes non-extractable)',
    options: { ...tokenOptions, 'password-file': { type: 'string' } },
    async run(args, io) {
      const ref = tokenRef(args)
      const folder = resolve(requirePositional(args, 0, 'PATH'))
      const password = await io.readSecret(requireString(args, 'password-file'))
      const pin = await io.readSecret(requireString(args, 'pin-file'))
      const files = await readCertFiles(folder)
      const certDer = signCertOf(files)
      const opened = openSignKey(certDer, signKeyOf(files), password)
      return tokenRun('token import', io, async () => {
        try {
          const r = await importToToken(ref, pin, { certDer, pkcs8: opened.pkcs8 }, { guard: guardFor(args) })
          io.out(r.outcome === 'identical' ? `already on the token (id ${r.idHex})` : `imported (id ${r.idHex})`)
        } finally {
          opened.pkcs8.fill(0)
        }
      })
    },
  },
  {
    name: 'token delete',
    usage: 'token delete ID --module M --token LABEL --pin-file F',
    summary: 'Remove the certificate and keys with this id (hex CKA_ID, from token list) from a token',
    options: tokenOptions,
    async run(args, io) {
      const ref = tokenRef(args)
      const id = requirePositional(args, 0, 'ID')
      if (!/^([0-9a-fA-F]{2})+$/.test(id)) throw new UsageError('ID must be the hex id shown by token list')
      const pin = await io.readSecret(requireString(args, 'pin-file'))
      return tokenRun('token delete', io, async () => {
        const r = await deleteFromToken(ref, pin, id.toLowerCase(), { guard: guardFor(args) })
        io.out(`removed ${r.removed} object(s)`)
      })
    },
  },
  {
    name: 'token keygen',
    usage: 'token keygen --module M --token LABEL --pin-file F [--label L] [--out SPKI.der] [--json]',
    summary: 'Generate an RSA-2048 key pair on a token; prints its id and writes the public key',
    options: { ...tokenOptions, label: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
    async run(args, io) {
      const ref = tokenRef(args)
      const pin = await io.readSecret(requireString(args, 'pin-file'))
      const out = optionalString(args, 'out')
      return tokenRun('token keygen', io, async () => {
        const k = await generateTokenKey(ref, pin, { label: optionalString(args, 'label') }, { guard: guardFor(args) })
        if (out) await writeFile(resolve(out), k.spkiDer)
        if (args.values.json) json(io, { idHex: k.idHex, spkiDerBase64: Buffer.from(k.spkiDer).toString('base64') })
        else io.out(`generated key ${k.idHex}${out ? ` (public key written to ${out})` : ''}`)
      })
    },
  },
]
