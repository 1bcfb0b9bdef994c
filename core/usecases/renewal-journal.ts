import { promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseCertificate } from '../certs/parse'
import { revokedSerials } from '../enroll/revoked'
import { writeFileAtomic } from '../storage/atomic'
import type { Trash } from '../storage/trash'
import { deleteFromToken, listTokenCerts, readTokenCert, withTokenSession, type SessionOptions, type TokenRef } from '../token/pkcs11'

/**
 * A renewal between the local save and the center's answer to certConf. Written before the
 * new pair replaces the old one and removed once it is known which certificate the center
 * keeps active, so a crash or a lost pkiConf is settled by asking the center, never by guessing.
 */
export interface PendingRenewal {
  kind?: 'folder'
  folder: string
  centerUrl: string
  oldSerialHex: string
  newSerialHex: string
  /** The new certificate, to recognise a staged folder that a crash left beside the old one. */
  newCertDer: string
  at: string
  /** When the renewal started (before the kur went out): the CRL that answers for it must be newer (crlNotBefore). */
  startedAt?: string
}

/**
 * A renewal on a security token, written before the new key pair is generated (its CKA_ID is
 * chosen first and recorded here), so no kill -9 can leave a pair on the token that the
 * journal does not name (the entry may name a pair the token never got: that settles as 'old').
 * Until it is settled the token may hold two key pairs (and two certificates) of which the
 * center keeps only one. Settling needs the token's PIN, so it happens when the
 * user next opens that token (settleTokenRenewals); until then it is reported as pending.
 */
export interface PendingTokenRenewal {
  kind: 'token'
  /** Which token: its label and serial number (the module path may differ from run to run). */
  token: { module: string; label: string; serial: string }
  oldIdHex: string
  newIdHex: string
  centerUrl: string
  oldSerialHex: string
  /** The certificate being renewed (base64): it authenticates the CA whose CRL is asked. */
  oldCertDer: string
  at: string
  /** When the renewal started (before the kur went out): the CRL that answers for it must be newer (crlNotBefore). */
  startedAt?: string
}

export type JournalEntry = PendingRenewal | PendingTokenRenewal

const isToken = (e: JournalEntry): e is PendingTokenRenewal => e.kind === 'token'
/** The key an entry is replaced and removed by: its folder, or its token and old key id. */
export function journalKey(e: JournalEntry): string {
  return isToken(e) ? `token:${e.token.serial}:${e.token.label}:${e.oldIdHex}` : e.folder
}

export type RenewalOutcome = 'new' | 'old' | 'unknown'

/**
 * How far the center's clock may run behind ours: a CRL whose thisUpdate is up to this long
 * before the renewal started is still taken as issued after it.
 */
export const CRL_CLOCK_SKEW_MS = 5 * 60_000

/**
 * The oldest CRL that may answer for a renewal started at `startedAt` (ISO time): one issued
 * before the renewal (less the clock skew) cannot know its outcome, so a correctly signed
 * older CRL replayed on the way decides nothing. An entry written before this field existed
 * falls back to its `at`, which is later than the start and so only stricter.
 */
export function crlNotBefore(entry: { startedAt?: string; at: string }): Date {
  return new Date(Date.parse(entry.startedAt ?? entry.at) - CRL_CLOCK_SKEW_MS)
}

const FILE = 'pending-renewals.json'

/** The journal of renewals whose outcome is not settled yet: `<data>/pending-renewals.json`, written atomically. */
export class RenewalJournal {
  readonly path: string
  private queue: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.path = join(dataDir, FILE)
  }

  /** Every open renewal, on folders and on tokens. */
  async all(): Promise<JournalEntry[]> {
    try {
      const v = JSON.parse(await fs.readFile(this.path, 'utf8')) as { pending?: JournalEntry[] }
      return Array.isArray(v.pending) ? v.pending : []
    } catch {
      return []
    }
  }

  /** The folder renewals still open. */
  async list(): Promise<PendingRenewal[]> {
    return (await this.all()).filter((e): e is PendingRenewal => !isToken(e))
  }

  /** The token renewals still open; they wait for the token's PIN. */
  async tokenEntries(): Promise<PendingTokenRenewal[]> {
    return (await this.all()).filter(isToken)
  }

  private update(fn: (all: JournalEntry[]) => JournalEntry[]): Promise<void> {
    const run = this.queue.then(async () => {
      const next = fn(await this.all())
      await writeFileAtomic(this.path, new TextEncoder().encode(JSON.stringify({ pending: next }, null, 1)))
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  add(p: JournalEntry): Promise<void> {
    return this.update((all) => [...all.filter((e) => journalKey(e) !== journalKey(p)), p])
  }

  /** Removes the entry of this folder (or, given an entry, of that entry's key). */
  remove(which: string | JournalEntry): Promise<void> {
    const key = typeof which === 'string' ? which : journalKey(which)
    return this.update((all) => all.filter((e) => journalKey(e) !== key))
  }
}

/**
 * Which certificate the center keeps active after a renewal whose confirmation was not seen,
 * read from its CRL (`<center>/crl`, updated in the same step as the activation): a confirmed
 * renewal revokes the old certificate as superseded; a rejected one revokes the new one; a
 * renewal the center never got the certConf of leaves the new one pending, never active.
 * 'unknown' when the CRL cannot be read, is not signed by the CA that issued `issuedDer` (the
 * old or the new certificate), or was issued before `notBefore` (crlNotBefore: older than the
 * renewal, so it cannot know; ask again later): then nothing is decided. A center without a CRL at `/crl` (a
 * remote CMP CA that publishes it elsewhere) always answers 'unknown'.
 */
export async function activeAfterRenewal(centerUrl: string, oldSerialHex: string, newSerialHex: string, issuedDer: Uint8Array, notBefore?: Date): Promise<RenewalOutcome> {
  const revoked = await revokedSerials(centerUrl, issuedDer, notBefore ? { notBefore } : {})
  if (!revoked) return 'unknown'
  if (revoked.has(newSerialHex)) return 'old'
  return revoked.has(oldSerialHex) ? 'new' : 'old'
}

async function serialIn(folder: string): Promise<string | undefined> {
  try {
    return parseCertificate(new Uint8Array(await fs.readFile(join(folder, 'signCert.der')))).serialHex
  } catch {
    return undefined
  }
}

/** Staged folders a renewal of `folder` left beside it (`.<name>.<random>.tmp`). */
async function stagedBeside(folder: string): Promise<string[]> {
  const prefix = `.${basename(folder)}.`
  const names = await fs.readdir(dirname(folder)).catch(() => [] as string[])
  return names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => join(dirname(folder), n))
}

/**
 * Puts the folder in the state the center's answer calls for. 'new': the new pair stays (or,
 * after a crash mid-swap, the staged new pair takes the folder's place and the old one goes to
 * the trash). 'old': the old pair comes back from the trash and whatever was staged goes.
 */
export async function settleRenewal(p: PendingRenewal, outcome: 'new' | 'old', trash: Trash): Promise<void> {
  const current = await serialIn(p.folder)
  const staged = await stagedBeside(p.folder)
  if (outcome === 'new') {
    if (current !== p.newSerialHex) {
      let source: string | undefined
      for (const s of staged) if ((await serialIn(s)) === p.newSerialHex) source = s
      if (source) {
        if (current !== undefined) await trash.put(p.folder)
        await fs.rename(source, p.folder)
      }
    }
  } else if (current !== p.oldSerialHex) {
    const entry = (await trash.list()).find((e) => e.originalPath === p.folder && e.serialHex === p.oldSerialHex)
    if (entry) await trash.restore(entry.id, { overwrite: true })
  }
  for (const s of await stagedBeside(p.folder)) await fs.rm(s, { recursive: true, force: true }).catch(() => undefined)
}

export type RecoveredRenewal =
  | { folder: string; outcome: RenewalOutcome }
  /** A token renewal: settled only when the token is opened with its PIN, so at start it is reported as pending. */
  | { token: { label: string; serial: string }; outcome: 'needs-pin' }

/** Where the recorded center answers now (an embedded center gets a new port at every start). */
export type CenterNow = (recorded: string) => string

/**
 * At start-up: every renewal a crash or a lost answer left open is settled by asking the center
 * which certificate it keeps active. Entries the center cannot answer for yet stay for the next
 * start. Token renewals need the PIN: they are listed as 'needs-pin' and settled by
 * settleTokenRenewals when the token is next opened. Returns what was decided, per entry.
 */
export async function recoverRenewals(journal: RenewalJournal, trash: Trash, centerNow: CenterNow = (u) => u): Promise<RecoveredRenewal[]> {
  const out: RecoveredRenewal[] = []
  for (const p of await journal.all()) {
    if (isToken(p)) {
      out.push({ token: { label: p.token.label, serial: p.token.serial }, outcome: 'needs-pin' })
      continue
    }
    const outcome = await activeAfterRenewal(centerNow(p.centerUrl), p.oldSerialHex, p.newSerialHex, Buffer.from(p.newCertDer, 'base64'), crlNotBefore(p))
    if (outcome !== 'unknown') {
      await settleRenewal(p, outcome, trash)
      await journal.remove(p.folder)
    }
    out.push({ folder: p.folder, outcome })
  }
  return out
}

/** The token's label and serial number, as the journal names it. */
export async function tokenIdentity(ref: TokenRef, pin: string, session?: SessionOptions): Promise<PendingTokenRenewal['token']> {
  return withTokenSession(ref, pin, (_p, _s, info) => ({ module: ref.module, label: info.label, serial: info.serial }), session)
}

/**
 * Settles the open renewals of the token `ref` now that its PIN is known: asks the center which
 * certificate it keeps active and removes the other key pair (with its certificate and
 * randomNum) from the token. A new key pair without a certificate beside it never reached
 * certConf (the certificate is stored before certConf is sent), so it is removed without asking.
 * Entries the center cannot answer for stay, and are reported as 'unknown'.
 */
export async function settleTokenRenewals(
  journal: RenewalJournal,
  ref: TokenRef,
  pin: string,
  session?: SessionOptions,
  centerNow: CenterNow = (u) => u,
): Promise<{ token: { label: string; serial: string }; oldIdHex: string; newIdHex: string; outcome: RenewalOutcome }[]> {
  const open = await journal.tokenEntries()
  if (open.length === 0) return []
  const me = await tokenIdentity(ref, pin, session)
  const out: { token: { label: string; serial: string }; oldIdHex: string; newIdHex: string; outcome: RenewalOutcome }[] = []
  for (const p of open.filter((e) => e.token.serial === me.serial && e.token.label === me.label)) {
    const certs = await listTokenCerts(ref, pin, session)
    const has = (id: string): boolean => certs.some((c) => c.idHex === id)
    let outcome: RenewalOutcome
    if (!has(p.newIdHex)) {
      outcome = 'old'
    } else {
      const newCert = await readTokenCert(ref, pin, p.newIdHex, session)
      outcome = await activeAfterRenewal(centerNow(p.centerUrl), p.oldSerialHex, parseCertificate(newCert).serialHex, newCert, crlNotBefore(p))
    }
    if (outcome === 'new') {
      await deleteFromToken(ref, pin, p.oldIdHex, session).catch(() => undefined)
    } else if (outcome === 'old' && (has(p.oldIdHex) || !has(p.newIdHex))) {
      // The old pair is the valid one: the new key pair (and its certificate, if stored) goes.
      // Never the new one when the old one is already gone: the token would be left with none.
      await deleteFromToken(ref, pin, p.newIdHex, session).catch(() => undefined)
    }
    if (outcome !== 'unknown') await journal.remove(p)
    out.push({ token: { label: p.token.label, serial: p.token.serial }, oldIdHex: p.oldIdHex, newIdHex: p.newIdHex, outcome })
  }
  return out
}
