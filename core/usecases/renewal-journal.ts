import { promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseCertificate } from '../certs/parse'
import { revokedSerials } from '../enroll/revoked'
import { writeFileAtomic } from '../storage/atomic'
import type { Trash } from '../storage/trash'

/**
 * A renewal between the local save and the center's answer to certConf. Written before the
 * new pair replaces the old one and removed once it is known which certificate the center
 * keeps active, so a crash or a lost pkiConf is settled by asking the center, never by guessing.
 */
export interface PendingRenewal {
  folder: string
  centerUrl: string
  oldSerialHex: string
  newSerialHex: string
  /** The new certificate, to recognise a staged folder that a crash left beside the old one. */
  newCertDer: string
  at: string
}

export type RenewalOutcome = 'new' | 'old' | 'unknown'

const FILE = 'pending-renewals.json'

/** The journal of renewals whose outcome is not settled yet: `<data>/pending-renewals.json`, written atomically. */
export class RenewalJournal {
  readonly path: string
  private queue: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.path = join(dataDir, FILE)
  }

  async list(): Promise<PendingRenewal[]> {
    try {
      const v = JSON.parse(await fs.readFile(this.path, 'utf8')) as { pending?: PendingRenewal[] }
      return Array.isArray(v.pending) ? v.pending : []
    } catch {
      return []
    }
  }

  private update(fn: (all: PendingRenewal[]) => PendingRenewal[]): Promise<void> {
    const run = this.queue.then(async () => {
      const next = fn(await this.list())
      await writeFileAtomic(this.path, new TextEncoder().encode(JSON.stringify({ pending: next }, null, 1)))
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  add(p: PendingRenewal): Promise<void> {
    return this.update((all) => [...all.filter((e) => e.folder !== p.folder), p])
  }

  remove(folder: string): Promise<void> {
    return this.update((all) => all.filter((e) => e.folder !== folder))
  }
}

/**
 * Which certificate the center keeps active after a renewal whose confirmation was not seen,
 * read from its CRL (`<center>/crl`, updated in the same step as the activation): a confirmed
 * renewal revokes the old certificate as superseded; a rejected one revokes the new one; a
 * renewal the center never got the certConf of leaves the new one pending, never active.
 * 'unknown' when the CRL cannot be read: then nothing is decided.
 */
export async function activeAfterRenewal(centerUrl: string, oldSerialHex: string, newSerialHex: string): Promise<RenewalOutcome> {
  const revoked = await revokedSerials(centerUrl)
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

/**
 * At start-up: every renewal a crash or a lost answer left open is settled by asking the center
 * which certificate it keeps active. Entries the center cannot answer for yet stay for the next
 * start. Returns what was decided, per folder.
 */
export async function recoverRenewals(
  journal: RenewalJournal,
  trash: Trash,
  /** Where the recorded center answers now (an embedded center gets a new port at every start). */
  centerNow: (recorded: string) => string = (u) => u,
): Promise<{ folder: string; outcome: RenewalOutcome }[]> {
  const out: { folder: string; outcome: RenewalOutcome }[] = []
  for (const p of await journal.list()) {
    const outcome = await activeAfterRenewal(centerNow(p.centerUrl), p.oldSerialHex, p.newSerialHex)
    if (outcome !== 'unknown') {
      await settleRenewal(p, outcome, trash)
      await journal.remove(p.folder)
    }
    out.push({ folder: p.folder, outcome })
  }
  return out
}
