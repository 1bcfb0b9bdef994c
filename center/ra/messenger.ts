import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Client } from '@libsql/client'

export interface OutgoingMessage {
  to: string
  channel: 'sms' | 'ars'
  text: string
}

/** Delivers phone verification codes. A real deployment plugs an SMS/ARS gateway in here. */
export interface Messenger {
  send(msg: OutgoingMessage): Promise<void>
}

export interface OutboxEntry extends OutgoingMessage {
  id: number
  at: string
}

export const OUTBOX_FILE = 'outbox.jsonl'

/**
 * The embedded center's "phone": every message goes to the ra_outbox table (what the app's
 * 문자함 panel and `certmgr center outbox` read) and, when a file is given, to a JSON-lines
 * file an operator can tail.
 */
export class OutboxMessenger implements Messenger {
  constructor(
    private readonly db: Client,
    private readonly opts: { file?: string; now?: () => Date } = {},
  ) {}

  async send(msg: OutgoingMessage): Promise<void> {
    const at = (this.opts.now ?? (() => new Date()))()
    const rs = await this.db.execute({
      sql: 'INSERT INTO ra_outbox (at, recipient, channel, text) VALUES (?, ?, ?, ?) RETURNING id',
      args: [at.getTime(), msg.to, msg.channel, msg.text],
    })
    if (this.opts.file) {
      await mkdir(dirname(this.opts.file), { recursive: true })
      const line = JSON.stringify({ id: Number(rs.rows[0]?.id ?? 0), at: at.toISOString(), to: msg.to, channel: msg.channel, text: msg.text })
      await appendFile(this.opts.file, line + '\n', { mode: 0o600 })
    }
  }
}

/** Newest first. */
export async function readOutbox(db: Client, limit = 20): Promise<OutboxEntry[]> {
  const rs = await db.execute({
    sql: 'SELECT id, at, recipient, channel, text FROM ra_outbox ORDER BY id DESC LIMIT ?',
    args: [Math.max(1, Math.min(500, Math.floor(limit)))],
  })
  return rs.rows.map((r) => ({
    id: Number(r.id),
    at: new Date(Number(r.at)).toISOString(),
    to: String(r.recipient),
    channel: r.channel === 'ars' ? 'ars' : 'sms',
    text: String(r.text),
  }))
}
