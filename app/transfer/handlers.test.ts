import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PhoneClient } from '../../shared/cpace/client'
import { generateCode } from '../../shared/cpace/transfer'
import { transferCalls } from '../../shared/contract/transfer'
import type { AppEvent } from '../../shared/contract/progress'
import { rememberCerts } from '../../core/certs/registry'
import type { FoundCert } from '../../core/certs/scan'
import { readPfx } from '../../core/formats/pfx'
import { openSignKey } from '../../core/formats/signpri'
import { createTransferHandlers, setTransferListenerDefaults } from './handlers'
import { RootPolicy } from '../../core/roots/root-policy'

const transferHandlers = createTransferHandlers({ roots: new RootPolicy() })

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const cert = new Uint8Array(readFileSync(resolve(FIX, 'signCert.der')))
const key = new Uint8Array(readFileSync(resolve(FIX, 'signPri.key')))
const pfx = new Uint8Array(readFileSync(resolve(FIX, 'test.pfx')))
const password = readFileSync(resolve(FIX, 'password.txt'), 'utf8').replace(/\r?\n$/, '')

let work = ''
const events: AppEvent[] = []
const ctx = { emit: (e: AppEvent) => void events.push(e) }

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'transfer-handlers-'))
  setTransferListenerDefaults({ host: '127.0.0.1', page: { html: '<html><head></head></html>', js: new Uint8Array(0), css: new Uint8Array(0) }, retryBaseMs: 10 })
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

function phone(url: string): PhoneClient {
  return new PhoneClient(url + '/', new URL(url).origin)
}

async function call<N extends keyof typeof transferCalls>(name: N, req: unknown): Promise<unknown> {
  const def = transferCalls[name]
  const parsed = def.request.parse(req)
  const res = await (transferHandlers[name] as (r: unknown, c: typeof ctx) => Promise<unknown>)(parsed, ctx)
  return def.response.parse(res)
}

describe('transfer handlers', () => {
  it('phone → PC: status shows what arrived, a wrong password stores nothing, the right one stores the folder', async () => {
    const start = (await call('transfer.startReceive', {})) as { sessionId: string; url: string; code: string; qrSvg: string }
    expect(start.code).toMatch(/^\d{4}-\d{4}-\d{4}$/)
    expect(start.url).toMatch(/^http:\/\/127\.0\.0\.1:/)
    expect(start.qrSvg).toContain('<svg')
    await phone(start.url).send(start.code, 'npki', [
      { name: 'signCert.der', data: cert },
      { name: 'signPri.key', data: key },
    ])
    await new Promise((r) => setTimeout(r, 20))
    const st = (await call('transfer.status', { sessionId: start.sessionId })) as { state: string; received?: { format: string; owner?: string } }
    expect(st.state).toBe('received')
    expect(st.received?.format).toBe('npki')
    expect(st.received?.owner).toBeTruthy()
    expect(events.some((e) => e.type === 'transfer' && e.state === 'received')).toBe(true)
    const root = join(work, 'npki-a')
    await expect(call('transfer.saveReceived', { sessionId: start.sessionId, password: 'wrong-password', root })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' })
    expect(() => readdirSync(root)).toThrow()
    const saved = (await call('transfer.saveReceived', { sessionId: start.sessionId, password, root })) as { folder: string; outcome: string }
    expect(saved.outcome).toBe('copied')
    expect(saved.folder.startsWith(join(root, 'yessign'))).toBe(true)
    expect(new Uint8Array(readFileSync(join(saved.folder, 'signPri.key')))).toEqual(key)
    expect(events.some((e) => e.type === 'certs-changed')).toBe(true)
  })

  it('phone → PC: a PFX becomes an NPKI folder whose key opens with the same password', async () => {
    const start = (await call('transfer.startReceive', {})) as { sessionId: string; url: string; code: string }
    await phone(start.url).send(start.code, 'pfx', [{ name: 'certificate.pfx', data: pfx }])
    await new Promise((r) => setTimeout(r, 20))
    const root = join(work, 'npki-b')
    const saved = (await call('transfer.saveReceived', { sessionId: start.sessionId, password, root })) as { folder: string }
    const c = new Uint8Array(readFileSync(join(saved.folder, 'signCert.der')))
    const k = new Uint8Array(readFileSync(join(saved.folder, 'signPri.key')))
    expect(openSignKey(c, k, password).randomNum?.length).toBe(20)
  })

  it('PC → phone: sends the NPKI files of a listed certificate and as a PFX built on the PC', async () => {
    const folder = join(work, 'src', 'yessign', 'USER', 'cn=test')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'signCert.der'), cert)
    writeFileSync(join(folder, 'signPri.key'), key)
    const ids = rememberCerts([{ path: folder } as FoundCert])
    const certId = [...ids.keys()][0]!

    const s1 = (await call('transfer.startSend', { certId, format: 'npki', password })) as { sessionId: string; url: string; format: string }
    expect(s1.format).toBe('npki')
    const code = generateCode()
    const got = phone(s1.url).receive(code)
    expect(await call('transfer.submitCode', { sessionId: s1.sessionId, code })).toEqual({ ok: true })
    expect((await got).files.map((f) => f.data)).toEqual([cert, key])

    // No password, no send: the request schema refuses it (the dispatcher answers BAD_REQUEST).
    await expect(call('transfer.startSend', { certId, format: 'pfx' })).rejects.toMatchObject({ issues: [{ path: ['password'] }] })
    const s2 = (await call('transfer.startSend', { certId, format: 'pfx', password, pfxPassword: 'phone-pass-1!' })) as { sessionId: string; url: string }
    const code2 = generateCode()
    const got2 = phone(s2.url).receive(code2)
    // A wrong number first: counted, then the right one.
    const wrong = code2.slice(0, 11) + String((Number(code2[11]) + 1) % 10)
    expect(await call('transfer.submitCode', { sessionId: s2.sessionId, code: wrong })).toMatchObject({ ok: false, failuresLeft: 2 })
    expect(await call('transfer.submitCode', { sessionId: s2.sessionId, code: code2 })).toEqual({ ok: true })
    const p = (await got2).files[0]!.data
    const opened = await readPfx(p, 'phone-pass-1!')
    expect(opened.certDer).toEqual(cert)
  })

  it('cancel ends the session and status reports it', async () => {
    const start = (await call('transfer.startReceive', {})) as { sessionId: string; url: string }
    await call('transfer.cancel', { sessionId: start.sessionId })
    await expect(call('transfer.status', { sessionId: start.sessionId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(fetch(start.url)).rejects.toThrow()
  })
})
