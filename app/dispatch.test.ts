import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { call } from '../shared/contract/define'
import { CertError } from '../shared/errors'
import { createDispatcher } from './dispatch'

const contract = {
  'demo.echo': call(z.object({ n: z.number().int() }).strict(), z.object({ twice: z.number() })),
  'demo.fail': call(z.object({}), z.object({})),
  'demo.crash': call(z.object({}), z.object({})),
  'demo.leak': call(z.object({}), z.object({ id: z.string() }).strict()),
}
const ctx = { emit: () => undefined }
const dispatch = createDispatcher(contract, {
  'demo.echo': async (r: unknown) => ({ twice: (r as { n: number }).n * 2 }),
  'demo.fail': async () => {
    throw new CertError('WRONG_PASSWORD', 'wrong password')
  },
  'demo.crash': async () => {
    throw new TypeError('secret internals at /home/user/x')
  },
  'demo.leak': async () => ({ id: 'x', privateKey: 'bytes' }),
})

describe('dispatcher', () => {
  it('parses the payload and returns the handler’s answer', async () => {
    expect(await dispatch('demo.echo', { n: 21 }, ctx)).toEqual({ ok: true, value: { twice: 42 } })
  })
  it('answers a malformed payload with a typed BAD_REQUEST, never a crash', async () => {
    for (const bad of [{ n: 'x' }, { n: 1.5 }, { n: 1, extra: true }, 'string', 42, null, [1]]) {
      const r = await dispatch('demo.echo', bad, ctx)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('BAD_REQUEST')
    }
  })
  it('refuses unknown calls and prototype names', async () => {
    for (const name of ['nope', '__proto__', 'constructor', 'toString']) {
      const r = await dispatch(name, {}, ctx)
      expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    }
  })
  it('maps a CertError to its code and hides other errors’ internals', async () => {
    expect(await dispatch('demo.fail', {}, ctx)).toEqual({ ok: false, error: { code: 'WRONG_PASSWORD', message: 'wrong password' } })
    const r = await dispatch('demo.crash', {}, ctx)
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'unexpected internal error' } })
  })
  it('refuses to send anything outside the response schema', async () => {
    expect(await dispatch('demo.leak', {}, ctx)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })
  it('requires a handler for every call', () => {
    expect(() => createDispatcher(contract, {})).toThrow(/no handler/)
  })
})
