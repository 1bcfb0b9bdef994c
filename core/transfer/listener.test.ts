import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PhoneClient, TransferError } from '../../shared/cpace/client'
import { decodeFrame, encodeFrame, generateCode, MAX_PAYLOAD_BYTES, type TransferFile } from '../../shared/cpace/transfer'
import { openSignKey } from '../formats/signpri'
import { startReceiveSession, startSendSession, type TransferEvent } from './listener'
import type { PhonePage } from './page'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const cert = new Uint8Array(readFileSync(resolve(FIX, 'signCert.der')))
const key = new Uint8Array(readFileSync(resolve(FIX, 'signPri.key')))
const pfx = new Uint8Array(readFileSync(resolve(FIX, 'test.pfx')))
const password = readFileSync(resolve(FIX, 'password.txt'), 'utf8').replace(/\r?\n$/, '')
const npkiFiles: TransferFile[] = [
  { name: 'signCert.der', data: cert },
  { name: 'signPri.key', data: key },
]
const page: PhonePage = { html: '<!doctype html><html><head></head><body>phone</body></html>', js: new Uint8Array([59]), css: new Uint8Array(0) }
// Loopback only, fast retries so the lockout tests stay short.
const base = { host: '127.0.0.1', page, retryBaseMs: 10 }

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function clientFor(url: string, fetchImpl?: typeof fetch): PhoneClient {
  return new PhoneClient(url + '/', new URL(url).origin, fetchImpl)
}

function otherCode(code: string): string {
  return code.slice(0, 11) + String((Number(code[11]) + 1) % 10)
}

describe('PC → phone', () => {
  it('delivers the NPKI files intact with the number the phone shows', async () => {
    const events: TransferEvent[] = []
    const s = await startSendSession({ ...base, files: npkiFiles, format: 'npki', onEvent: (e) => events.push(e) })
    cleanups.push(() => s.cancel())
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{22}$/)
    const code = generateCode()
    const phone = clientFor(s.url).receive(code)
    const submitted = await s.submitCode(code)
    expect(submitted).toEqual({ ok: true })
    const got = await phone
    expect(got.format).toBe('npki')
    expect(got.files.map((f) => f.name)).toEqual(['signCert.der', 'signPri.key'])
    expect(got.files[0]?.data).toEqual(cert)
    expect(got.files[1]?.data).toEqual(key)
    await s.done
    expect(s.state()).toBe('done')
    expect(events.map((e) => e.state)).toEqual(expect.arrayContaining(['listening', 'phone-connected', 'awaiting-code', 'verifying', 'sending', 'done']))
    // The key still opens with the fixture password: it travelled in its encrypted form.
    expect(() => openSignKey(got.files[0]!.data, got.files[1]!.data, password)).not.toThrow()
  })

  it('counts a wrong number typed on the PC and accepts the right one after the delay', async () => {
    const s = await startSendSession({ ...base, files: [{ name: 'certificate.pfx', data: pfx }], format: 'pfx' })
    cleanups.push(() => s.cancel())
    const code = generateCode()
    const wrongSeen: number[] = []
    const phone = clientFor(s.url).receive(code, { onWrongCode: (n) => wrongSeen.push(n) })
    const first = await s.submitCode(otherCode(code))
    expect(first).toMatchObject({ ok: false, failuresLeft: 2, locked: false })
    expect(await s.submitCode(code)).toEqual({ ok: true })
    const got = await phone
    expect(got.files[0]?.data).toEqual(pfx)
    expect(wrongSeen).toEqual([2])
  })

  it('locks the session after three wrong numbers', async () => {
    const s = await startSendSession({ ...base, files: npkiFiles, format: 'npki' })
    const code = generateCode()
    const phone = clientFor(s.url).receive(code)
    phone.catch(() => undefined)
    expect(await s.submitCode(otherCode(code))).toMatchObject({ ok: false, failuresLeft: 2 })
    expect(await s.submitCode(otherCode(code))).toMatchObject({ ok: false, failuresLeft: 1 })
    expect(await s.submitCode(otherCode(code))).toMatchObject({ ok: false, failuresLeft: 0, locked: true })
    expect(s.state()).toBe('locked')
    await expect(s.done).rejects.toMatchObject({ code: 'TRANSFER' })
    await expect(s.submitCode(code)).rejects.toMatchObject({ code: 'TRANSFER' })
    const err = await phone.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransferError)
    expect(['locked', 'network']).toContain((err as TransferError).kind)
  })

  it('refuses a tampered payload on the phone', async () => {
    const s = await startSendSession({ ...base, files: npkiFiles, format: 'npki' })
    cleanups.push(() => s.cancel())
    const flip: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      if (!String(input).endsWith('/api/confirm') || res.status !== 200) return res
      const bytes = new Uint8Array(await res.arrayBuffer())
      bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0x01
      return new Response(bytes, { status: 200, headers: { 'content-type': 'application/octet-stream' } })
    }
    const code = generateCode()
    const phone = clientFor(s.url, flip).receive(code)
    phone.catch(() => undefined)
    await s.submitCode(code)
    await expect(phone).rejects.toMatchObject({ kind: 'tampered' })
  })
})

describe('phone → PC', () => {
  it('receives the files, checks the pair and hands them over', async () => {
    const s = await startReceiveSession(base)
    cleanups.push(() => s.cancel())
    expect(s.code).toMatch(/^\d{12}$/)
    await clientFor(s.url).send(s.code, 'npki', npkiFiles)
    const r = await s.result
    expect(r.format).toBe('npki')
    expect(r.files.find((f) => f.name === 'signPri.key')?.data).toEqual(key)
    expect(r.summary.owner).toBeTruthy()
    expect(s.state()).toBe('received')
    expect(() => openSignKey(r.files[0]!.data, r.files[1]!.data, password)).not.toThrow()
  })

  it('reports a wrong number to the phone and counts it', async () => {
    const s = await startReceiveSession(base)
    cleanups.push(() => s.cancel())
    const err = await clientFor(s.url).send(otherCode(s.code), 'pfx', [{ name: 'certificate.pfx', data: pfx }]).catch((e: unknown) => e)
    expect(err).toMatchObject({ kind: 'wrong-code', failuresLeft: 2 })
    await clientFor(s.url).send(s.code, 'pfx', [{ name: 'certificate.pfx', data: pfx }])
    expect((await s.result).files[0]?.data).toEqual(pfx)
  })

  it('locks after three wrong numbers and stops listening', async () => {
    const s = await startReceiveSession(base)
    const c = clientFor(s.url)
    for (const left of [2, 1]) {
      await expect(c.send(otherCode(s.code), 'npki', npkiFiles)).rejects.toMatchObject({ kind: 'wrong-code', failuresLeft: left })
    }
    await expect(c.send(otherCode(s.code), 'npki', npkiFiles)).rejects.toMatchObject({ kind: 'locked' })
    await expect(s.result).rejects.toMatchObject({ code: 'TRANSFER', params: { state: 'locked' } })
    await new Promise((r) => setTimeout(r, 100))
    await expect(fetch(s.url)).rejects.toThrow()
  })

  it('refuses a replayed upload from an earlier attempt', async () => {
    const s = await startReceiveSession(base)
    cleanups.push(() => s.cancel())
    let captured: Uint8Array | undefined
    const capture: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/api/upload')) captured = new Uint8Array((init?.body as ArrayBuffer) ?? new ArrayBuffer(0))
      return fetch(input, init)
    }
    // A certificate that does not parse: the PC refuses the files, the attempt is spent.
    const junk: TransferFile[] = [
      { name: 'signCert.der', data: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) },
      { name: 'signPri.key', data: key },
    ]
    await expect(clientFor(s.url, capture).send(s.code, 'npki', junk)).rejects.toMatchObject({ kind: 'bad-files' })
    expect(captured).toBeDefined()
    const replay = await fetch(s.url + '/api/upload', { method: 'POST', body: captured!.slice().buffer })
    expect(replay.status).toBe(409)
    expect(((await replay.json()) as { error: string }).error).toBe('stale')
    // The real phone can still finish.
    await clientFor(s.url).send(s.code, 'npki', npkiFiles)
    expect((await s.result).files).toHaveLength(2)
  })

  it('destroys the session when the sealed message was altered', async () => {
    const s = await startReceiveSession(base)
    const tamper: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/api/upload')) {
        const b = new Uint8Array((init?.body as ArrayBuffer) ?? new ArrayBuffer(0))
        const { header, body } = decodeFrame(b)
        const ct = body.slice()
        ct[10] = (ct[10] ?? 0) ^ 0x80
        return fetch(input, { ...init, body: encodeFrame(header, ct).slice().buffer })
      }
      return fetch(input, init)
    }
    await expect(clientFor(s.url, tamper).send(s.code, 'npki', npkiFiles)).rejects.toMatchObject({ kind: 'tampered' })
    await expect(s.result).rejects.toMatchObject({ code: 'TRANSFER' })
    expect(s.state()).toBe('error')
  })
})

describe('listener limits', () => {
  it('answers 404 without the token, for every path shape', async () => {
    const s = await startReceiveSession(base)
    cleanups.push(() => s.cancel())
    const origin = new URL(s.url).origin
    const token = new URL(s.url).pathname.split('/')[2] ?? ''
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    for (const p of ['/', '/s/', `/s/${wrong}`, `/s/${wrong}/api/hello`, '/favicon.ico', `/x/${token}`, `/s/${token}x`]) {
      const r = await fetch(origin + p, { method: p.includes('api') ? 'POST' : 'GET' })
      expect(r.status, p).toBe(404)
      expect(await r.text()).toBe('Not Found')
    }
    const ok = await fetch(s.url)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(ok.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await ok.text()).toContain(`<base href="/s/${token}/">`)
  })

  it('refuses an oversized upload with 413', async () => {
    const s = await startReceiveSession(base)
    cleanups.push(() => s.cancel())
    const r = await fetch(s.url + '/api/upload', { method: 'POST', body: new Uint8Array(MAX_PAYLOAD_BYTES + 20_000).buffer })
    expect(r.status).toBe(413)
    await expect(clientFor(s.url).send(s.code, 'pfx', [{ name: 'certificate.pfx', data: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }])).rejects.toThrow(/too large/)
  })

  it('refuses a cross-origin POST', async () => {
    const s = await startReceiveSession(base)
    cleanups.push(() => s.cancel())
    const r = await fetch(s.url + '/api/hello', { method: 'POST', headers: { origin: 'http://evil.example' }, body: '{}' })
    expect(r.status).toBe(403)
  })

  it('expires, rejects the caller and stops listening', async () => {
    const s = await startReceiveSession({ ...base, ttlMs: 300 })
    await expect(s.result).rejects.toMatchObject({ code: 'TRANSFER', params: { state: 'expired' } })
    expect(s.state()).toBe('expired')
    await new Promise((r) => setTimeout(r, 100))
    await expect(fetch(s.url)).rejects.toThrow()
  })

  it('caps unauthenticated connections but keeps serving the phone', async () => {
    const s = await startReceiveSession({ ...base, maxUnauthConnections: 4 })
    cleanups.push(() => s.cancel())
    const { port } = new URL(s.url)
    const socks = await Promise.all(
      Array.from({ length: 10 }, () => new Promise<ReturnType<typeof connect>>((res) => {
        const sock = connect(Number(port), '127.0.0.1', () => res(sock))
        sock.on('error', () => undefined)
      })),
    )
    await new Promise((r) => setTimeout(r, 100))
    const open = socks.filter((x) => !x.destroyed && x.readyState === 'open')
    const closed = await Promise.all(socks.map((x) => new Promise<boolean>((res) => {
      if (x.destroyed) return res(true)
      x.once('close', () => res(true))
      setTimeout(() => res(false), 200)
    })))
    expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(6)
    expect(open.length).toBeLessThanOrEqual(10)
    for (const x of socks) x.destroy()
    await new Promise((r) => setTimeout(r, 50))
    await clientFor(s.url).send(s.code, 'npki', npkiFiles)
    expect((await s.result).files).toHaveLength(2)
  })

  it('refuses to listen on every interface', async () => {
    for (const host of ['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::0.0.0.0', '192.0.2.7']) {
      await expect(startReceiveSession({ ...base, host })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    }
  })
})
