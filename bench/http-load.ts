import { connect, type Socket } from 'node:net'

/**
 * A minimal HTTP/1.1 keep-alive POST client for load generation. The generator shares the
 * machine's two cores with the server it measures, so every microsecond it spends is taken from
 * the server: this one writes a pre-built request head and reads the answer by Content-Length,
 * about a quarter of node:http's client cost per request. It speaks only what the center
 * answers (Content-Length bodies, no chunking) and fails loudly on anything else.
 */
class Connection {
  private buf: Buffer = Buffer.alloc(0)
  private waiting?: { ok: (b: Uint8Array) => void; fail: (e: Error) => void }
  private failed?: Error

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d
      this.tryAnswer()
    })
    const fail = (e: Error) => {
      this.failed = e
      this.waiting?.fail(e)
      this.waiting = undefined
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed')))
  }

  post(head: Buffer, body: Uint8Array): Promise<Uint8Array> {
    if (this.failed) return Promise.reject(this.failed)
    return new Promise((ok, fail) => {
      this.waiting = { ok, fail }
      this.socket.write(Buffer.concat([head, Buffer.from(String(body.length) + '\r\n\r\n'), body]))
    })
  }

  private tryAnswer(): void {
    const end = this.buf.indexOf('\r\n\r\n')
    if (end < 0 || !this.waiting) return
    const head = this.buf.subarray(0, end).toString('latin1')
    const status = Number(head.slice(9, 12))
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    if (!m) return this.reject(new Error('answer without Content-Length'))
    const total = end + 4 + Number(m[1])
    if (this.buf.length < total) return
    const body = new Uint8Array(this.buf.subarray(end + 4, total))
    this.buf = this.buf.subarray(total)
    const w = this.waiting
    this.waiting = undefined
    if (status !== 200) w.fail(new Error(`HTTP ${status}`))
    else w.ok(body)
  }

  private reject(e: Error): void {
    this.waiting?.fail(e)
    this.waiting = undefined
    this.socket.destroy()
  }

  /** False once the socket failed or closed, e.g. the server ended it after its keep-alive timeout while it sat idle. */
  get usable(): boolean {
    return this.failed === undefined
  }

  close(): void {
    this.socket.destroy()
  }
}

/** Connections opened as needed and reused: one request at a time on each. */
export class LoadClient {
  private readonly idle: Connection[] = []
  private readonly all: Connection[] = []
  private readonly head: Buffer

  constructor(
    private readonly url: URL,
    contentType: string,
  ) {
    this.head = Buffer.from(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: `, 'latin1')
  }

  private open(): Promise<Connection> {
    return new Promise((ok, fail) => {
      const s = connect({ host: this.url.hostname, port: Number(this.url.port) }, () => {
        s.off('error', fail)
        const c = new Connection(s)
        this.all.push(c)
        ok(c)
      })
      s.once('error', fail)
    })
  }

  async post(body: Uint8Array): Promise<Uint8Array> {
    // On a loaded machine a pause (the settle time between runs) can outlast the server's
    // keep-alive timeout: connections it closed meanwhile are dropped, not written to.
    let c = this.idle.pop()
    while (c && !c.usable) c = this.idle.pop()
    c ??= await this.open()
    const answer = await c.post(this.head, body)
    this.idle.push(c)
    return answer
  }

  close(): void {
    for (const c of this.all) c.close()
  }
}
