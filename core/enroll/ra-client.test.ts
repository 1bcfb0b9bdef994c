import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { RaClient } from './ra-client'

// A stand-in center that answers each path with a canned status and body, so the client's
// checks meet answers a real RA would never send.
const answers: Record<string, { status: number; body: unknown }> = {
  '/ra/info': { status: 200, body: { name: 'x', fees: { limited: 0, general: 'free' }, renewalWindowDays: 30 } },
  '/ra/sessions': { status: 200, body: { sessionId: 's1', medium: 'card' } },
  '/ra/sessions/s1/codes': { status: 200, body: { reference: 'R1' } },
  '/ra/sessions/s1/phone/verify': { status: 403, body: { error: { code: 'FORBIDDEN', message: 'wrong code', params: { reason: 'phone-code', remaining: 2 } } } },
  '/ra/sessions/s1/medium/verify': { status: 403, body: { error: { code: 'FORBIDDEN', message: 'no', params: { reason: 'disk-full' } } } },
  '/ra/sessions/s1/renewal': { status: 500, body: { oops: true } },
}

let server: Server
let ra: RaClient
beforeAll(async () => {
  server = createServer((req, res) => {
    const a = answers[req.url ?? ''] ?? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such RA endpoint', params: { reason: 'endpoint' } } } }
    res.writeHead(a.status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(a.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  ra = new RaClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('RaClient checks every answer against the RA API schemas', () => {
  it('passes a well-formed answer', async () => {
    expect(await ra.call('sessions', { body: { account: '1', purpose: 'issue' } })).toEqual({ sessionId: 's1', medium: 'card' })
  })

  it('refuses a malformed answer as CENTER, reason body, instead of handing it on', async () => {
    await expect(ra.call('info', {})).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'body' } })
    await expect(ra.call('codes', { sessionId: 's1', body: { certType: 'limited' } })).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'body' } })
  })

  it('keeps a refusal’s code, message and listed reason; drops a reason not listed for the code', async () => {
    await expect(ra.call('phoneVerify', { sessionId: 's1', body: { code: '1' } })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'wrong code', params: { reason: 'phone-code', remaining: 2 } })
    const err = await ra.call('mediumVerify', { sessionId: 's1', body: { response: '1' } }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'FORBIDDEN' })
    expect((err as { params?: Record<string, unknown> }).params?.reason).toBeUndefined()
  })

  it('reads an error answer outside the schema as the center failing', async () => {
    await expect(ra.call('renewal', { sessionId: 's1', body: { serialHex: '01' } })).rejects.toMatchObject({ code: 'CENTER', params: { reason: 'http' } })
  })
})

describe('RaClient types each call by its schema (shared/ra/api.ts raCalls)', () => {
  it('gives the schema\'s output as the answer and takes the schema\'s input as the body; a caller names no type', () => {
    type Codes = Awaited<ReturnType<typeof ra.call<'codes'>>>
    expectTypeOf<Codes['reference']>().toEqualTypeOf<string>()
    expectTypeOf<Codes['feeKrw']>().toEqualTypeOf<number>()
    type Challenge = Awaited<ReturnType<typeof ra.call<'mediumChallenge'>>>
    expectTypeOf<Extract<Challenge, { medium: 'card' }>['slots']>().toEqualTypeOf<[number, number]>()
    const never = (): boolean => false
    if (never()) {
      // @ts-expect-error a certificate type outside the schema's list
      void ra.call('codes', { sessionId: 's1', body: { certType: 'platinum' } })
      // @ts-expect-error a step of a session without its session
      void ra.call('phone', { body: {} })
      // @ts-expect-error a POST without its body
      void ra.call('sessions', {})
      // @ts-expect-error the answer's type is the schema's, not one the caller claims
      void ra.call<'info', { forged: true }>('info', {})
    }
  })
})
