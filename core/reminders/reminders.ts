import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CertSummary } from '../../shared/contract/certs'
import { RENEWAL_WINDOW_DAYS } from '../../shared/cert-state'
import { writeFileAtomic } from '../storage/atomic'

/**
 * Expiry reminders: one when a certificate enters the renewal window, then 7 and 1 days
 * before expiry. Each milestone is sent once per certificate (by serial and expiry, so a
 * renewed certificate starts afresh), remembered in the data folder across restarts.
 */
export type Milestone = 'window' | 'd7' | 'd1'

export interface Reminder {
  certId: string
  owner: string
  serialHex: string
  notAfter: string
  daysLeft: number
  milestone: Milestone
}

export function milestoneFor(daysLeft: number, windowDays = RENEWAL_WINDOW_DAYS): Milestone | undefined {
  if (daysLeft < 0) return undefined
  if (daysLeft <= 1) return 'd1'
  if (daysLeft <= 7) return 'd7'
  if (daysLeft <= windowDays) return 'window'
  return undefined
}

const key = (c: Pick<CertSummary, 'serialHex' | 'notAfter'>, m: Milestone) => `${c.serialHex}|${c.notAfter}|${m}`

/** Reminders due now that have not been sent yet. Damaged and expired certificates get none. */
export function dueReminders(certs: CertSummary[], sent: ReadonlySet<string>): Reminder[] {
  const out: Reminder[] = []
  for (const c of certs) {
    if (c.state !== 'renewable' && c.state !== 'valid') continue
    const m = milestoneFor(c.daysLeft)
    if (!m || sent.has(key(c, m))) continue
    out.push({ certId: c.id, owner: c.owner, serialHex: c.serialHex, notAfter: c.notAfter, daysLeft: c.daysLeft, milestone: m })
  }
  return out
}

/** How the host shows a reminder: a system notification (Electron) or an in-app banner. */
export type Notify = (r: Reminder) => void

export class ReminderScheduler {
  private timer?: ReturnType<typeof setInterval>
  private sent?: Set<string>
  /** What the latest check found due, for a window that opens after the notification went out. */
  latest: Reminder[] = []

  constructor(
    private readonly dataDir: string,
    private readonly listCerts: () => Promise<CertSummary[]>,
    private readonly notify: Notify,
    private readonly setBadge: (count: number) => void = () => undefined,
  ) {}

  private get file(): string {
    return join(this.dataDir, 'reminders.json')
  }

  private async load(): Promise<Set<string>> {
    if (this.sent) return this.sent
    try {
      this.sent = new Set(JSON.parse(await readFile(this.file, 'utf8')) as string[])
    } catch {
      this.sent = new Set()
    }
    return this.sent
  }

  /** Checks once: notifies what is due, updates the badge to the number of renewable certificates. */
  async check(): Promise<Reminder[]> {
    const certs = await this.listCerts()
    const sent = await this.load()
    const due = dueReminders(certs, sent)
    for (const r of due) {
      this.notify(r)
      sent.add(`${r.serialHex}|${r.notAfter}|${r.milestone}`)
    }
    if (due.length) this.latest = due
    if (due.length) await writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify([...sent])))
    this.setBadge(certs.filter((c) => c.state === 'renewable').length)
    return due
  }

  /** At start and then daily. */
  start(intervalMs = 24 * 3600 * 1000): void {
    void this.check().catch(() => undefined)
    this.timer = setInterval(() => void this.check().catch(() => undefined), intervalMs)
    this.timer.unref?.()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }
}
